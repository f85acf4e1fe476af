import type { SchedulingCandidate } from '../../cluster-manager/candidate.js';
import {
  type ClusterManagerConfig,
  type ClusterManagerConfigInput,
  clusterManagerSchema,
} from '../../cluster-manager/config.js';
import type { WorkerCapacity } from '../../cluster-manager/protocol.js';

let seq = 0;

export function candidate(
  id: string,
  fields: Partial<Omit<SchedulingCandidate, 'id' | 'capacity'>> & { capacity?: Partial<WorkerCapacity> } = {},
): SchedulingCandidate {
  return {
    id,
    load: fields.load ?? 0,
    maxLoad: fields.maxLoad ?? 0.85,
    joinSeq: fields.joinSeq ?? seq++,
    capacity: { isps: [], regions: [], ...fields.capacity },
  };
}

export const ids = (list: readonly { id: string }[]): string[] => list.map((c) => c.id);

/** A clock that moves only when told to. */
export class ManualClock {
  constructor(private current = 1_000_000) {}
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

export function config(overrides: ClusterManagerConfigInput = {}): ClusterManagerConfig {
  return clusterManagerSchema.parse(overrides);
}

/** Deterministic random source cycling through the given values. */
export function sequenceRandom(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}
