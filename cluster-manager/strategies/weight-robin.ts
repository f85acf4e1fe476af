import type { SchedulingCandidate } from '../candidate.js';
import { byJoinOrder, type SchedulingStrategy } from './strategy.js';

/** OWT's weight: the free share of the worker, in percent. */
export function workerWeight(load: number): number {
  return Math.max(0, (1 - load) * 100);
}

/**
 * Weighted round robin, smooth variant (as nginx): every pick adds each candidate's weight to
 * its running score, takes the highest score and subtracts the total from it. Over a run of
 * picks each worker gets a share proportional to its weight, interleaved rather than in bursts.
 */
export class WeightRobinStrategy implements SchedulingStrategy {
  readonly name = 'weight-robin';
  private readonly scores = new Map<string, number>();

  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined {
    let total = 0;
    let best: SchedulingCandidate | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const c of [...candidates].sort(byJoinOrder)) {
      const weight = workerWeight(c.load);
      const score = (this.scores.get(c.id) ?? 0) + weight;
      this.scores.set(c.id, score);
      total += weight;
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    if (best) this.scores.set(best.id, bestScore - total);
    return best;
  }

  forget(workerId: string): void {
    this.scores.delete(workerId);
  }
}
