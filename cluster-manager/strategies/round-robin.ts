import type { SchedulingCandidate } from '../candidate.js';
import type { SchedulingStrategy } from './strategy.js';

/**
 * Cycles through workers in join order: the next pick is the first candidate that joined
 * after the previous pick, wrapping to the earliest. Workers that are not candidates this
 * time (overloaded, filtered out) are skipped without losing the position.
 */
export class RoundRobinStrategy implements SchedulingStrategy {
  readonly name = 'round-robin';
  private lastSeq = -1;

  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined {
    let next: SchedulingCandidate | undefined;
    let first: SchedulingCandidate | undefined;
    for (const c of candidates) {
      if (!first || c.joinSeq < first.joinSeq) first = c;
      if (c.joinSeq > this.lastSeq && (!next || c.joinSeq < next.joinSeq)) next = c;
    }
    const chosen = next ?? first;
    if (chosen) this.lastSeq = chosen.joinSeq;
    return chosen;
  }

  forget(): void {}
}
