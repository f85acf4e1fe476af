import type { SchedulingCandidate } from '../candidate.js';
import type { SchedulingStrategy } from './strategy.js';

/**
 * Sticks to the previously picked worker while it is a candidate; otherwise moves to the
 * most recently joined candidate (as OWT does) and sticks to that one.
 */
export class LastUsedStrategy implements SchedulingStrategy {
  readonly name = 'last-used';
  private lastId: string | undefined;

  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined {
    const last = candidates.find((c) => c.id === this.lastId);
    if (last) return last;
    let newest: SchedulingCandidate | undefined;
    for (const c of candidates) if (!newest || c.joinSeq > newest.joinSeq) newest = c;
    this.lastId = newest?.id;
    return newest;
  }

  forget(workerId: string): void {
    if (this.lastId === workerId) this.lastId = undefined;
  }
}
