import type { WorkerCapacity } from './protocol.js';

/**
 * What matchers and strategies see of a worker. `joinSeq` orders workers by first join so
 * that order-based strategies (round-robin, last-used) are stable across calls.
 */
export interface SchedulingCandidate {
  readonly id: string;
  readonly capacity: WorkerCapacity;
  readonly load: number;
  readonly maxLoad: number;
  readonly joinSeq: number;
}
