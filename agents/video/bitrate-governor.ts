/** Bounds and damping for bitrate changes asked by an output's subscribers. */
export interface BitrateGovernorOptions {
  /** The configured bitrate (bps): the ceiling and the starting point. */
  targetBps: number;
  /** The floor, as a fraction of the configured bitrate (default 0.1, never below 50 kbps). */
  minFraction?: number;
  /** Relative change below which a request is ignored (default 0.15). */
  minChange?: number;
  /** Time between two applied changes (default 2000 ms). */
  minIntervalMs?: number;
  now?: () => number;
}

export const MIN_VIDEO_BITRATE_BPS = 50_000;

/**
 * Turns subscribers' target-bitrate feedback into encoder bitrate changes. VP8/VP9 reopen the
 * encoder (a keyframe) on every change, so only real changes are applied: clamped to
 * [floor, configured], at least 15 % away from the current value, at most one per 2 s.
 */
export class BitrateGovernor {
  private current: number;
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private readonly min: number;
  private readonly max: number;
  private readonly minChange: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(options: BitrateGovernorOptions) {
    this.max = options.targetBps;
    this.min = Math.min(this.max, Math.max(MIN_VIDEO_BITRATE_BPS, this.max * (options.minFraction ?? 0.1)));
    this.current = this.max;
    this.minChange = options.minChange ?? 0.15;
    this.minIntervalMs = options.minIntervalMs ?? 2000;
    this.now = options.now ?? (() => performance.now());
  }

  get bitrate(): number {
    return this.current;
  }

  /** The bitrate to apply now for a requested one, or undefined to leave the encoder alone. */
  propose(requestedBps: number): number | undefined {
    if (!Number.isFinite(requestedBps) || requestedBps <= 0) return undefined;
    const next = Math.round(Math.min(this.max, Math.max(this.min, requestedBps)));
    if (Math.abs(next - this.current) < this.current * this.minChange) return undefined;
    const now = this.now();
    if (now - this.lastChangeAt < this.minIntervalMs) return undefined;
    this.lastChangeAt = now;
    this.current = next;
    return next;
  }
}
