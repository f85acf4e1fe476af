import type { SchedulingCandidate } from '../candidate.js';
import type { StrategyName } from '../config.js';

/**
 * Picks one worker among matched candidates. Instances keep state (the last pick, the
 * round-robin position, weights), one instance per purpose.
 */
export interface SchedulingStrategy {
  readonly name: StrategyName;
  /** Undefined only when there are no candidates. */
  pick(candidates: readonly SchedulingCandidate[]): SchedulingCandidate | undefined;
  /** The worker left the cluster: drop any state about it. */
  forget(workerId: string): void;
}

/** Uniform in [0, 1), like Math.random; injected so tests are deterministic. */
export type RandomSource = () => number;

/** Earliest joined first: the tie-break every strategy uses. */
export function byJoinOrder(a: SchedulingCandidate, b: SchedulingCandidate): number {
  return a.joinSeq - b.joinSeq;
}
