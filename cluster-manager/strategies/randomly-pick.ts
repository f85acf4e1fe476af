import type { SchedulingCandidate } from '../candidate.js';
import { byJoinOrder, type RandomSource, type SchedulingStrategy } from './strategy.js';

/** Uniformly random among the candidates (in join order, so a given random value is reproducible). */
export class RandomlyPickStrategy implements SchedulingStrategy {
  readonly name = 'randomly-pick';

  constructor(private readonly random: RandomSource = Math.random) {}

  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined {
    if (candidates.length === 0) return undefined;
    const ordered = [...candidates].sort(byJoinOrder);
    const index = Math.min(ordered.length - 1, Math.max(0, Math.floor(this.random() * ordered.length)));
    return ordered[index];
  }

  forget(): void {}
}
