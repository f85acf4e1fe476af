import { z } from 'zod';
import { PURPOSES, type Purpose } from './protocol.js';

export const STRATEGY_NAMES = [
  'least-used',
  'most-used',
  'last-used',
  'round-robin',
  'randomly-pick',
  'weight-robin',
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/**
 * OWT's defaults. last-used packs a room's clients onto one access worker (fewer internal
 * links); quic is an access purpose like webrtc, so it packs too.
 */
export const DEFAULT_STRATEGIES: Readonly<Record<Purpose, StrategyName>> = {
  portal: 'last-used',
  conference: 'last-used',
  webrtc: 'last-used',
  quic: 'last-used',
  streaming: 'round-robin',
  sip: 'round-robin',
  recording: 'randomly-pick',
  audio: 'most-used',
  video: 'least-used',
  analytics: 'least-used',
};

const strategyNameSchema = z.enum(STRATEGY_NAMES);

const strategiesSchema = z
  .object(
    Object.fromEntries(PURPOSES.map((p) => [p, strategyNameSchema.default(DEFAULT_STRATEGIES[p])])) as Record<
      Purpose,
      z.ZodDefault<typeof strategyNameSchema>
    >,
  )
  .strict();

export const clusterManagerSchema = z
  .object({
    /** How often agents send keep-alives (told to them in the join result). */
    keepAliveIntervalMs: z.number().int().positive().default(1000),
    /** A worker silent for this many intervals is dropped and reported lost. */
    missedKeepAlivesBeforeDrop: z.number().int().positive().default(3),
    /** How long a scheduled or laid-down task keeps its worker. */
    reserveTimeMs: z.number().int().positive().default(60_000),
    /**
     * After becoming active (empty), schedule() of a task it does not know waits this long for
     * agents to re-join with the tasks they run, so that a running task is not placed twice.
     * 0 disables the wait. Keep it above one keep-alive interval and below callers' RPC timeout.
     */
    recoveryTimeMs: z.number().int().min(0).default(2000),
    /** Scheduling strategy per purpose. */
    strategies: strategiesSchema.prefault({}),
  })
  .strict();

export type ClusterManagerConfig = z.output<typeof clusterManagerSchema>;
export type ClusterManagerConfigInput = z.input<typeof clusterManagerSchema>;
