import type { SchedulingCandidate } from '../candidate.js';
import { byJoinOrder, type SchedulingStrategy } from './strategy.js';

/** The lowest load; ties go to the earliest joined worker. */
export class LeastUsedStrategy implements SchedulingStrategy {
  readonly name = 'least-used';

  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined {
    let best: SchedulingCandidate | undefined;
    for (const c of candidates) {
      if (!best || c.load < best.load || (c.load === best.load && byJoinOrder(c, best) < 0)) best = c;
    }
    return best;
  }

  forget(): void {}
}
