import type { SchedulingCandidate } from '../candidate.js';
import { byJoinOrder, type SchedulingStrategy } from './strategy.js';

/**
 * The highest load (candidates are all under their max load): fills a worker before
 * starting the next. Ties go to the earliest joined worker, so with all loads at 0 it still
 * picks one (OWT found none in that case).
 */
export class MostUsedStrategy implements SchedulingStrategy {
  readonly name = 'most-used';

  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined {
    let best: SchedulingCandidate | undefined;
    for (const c of candidates) {
      if (!best || c.load > best.load || (c.load === best.load && byJoinOrder(c, best) < 0)) best = c;
    }
    return best;
  }

  forget(): void {}
}
