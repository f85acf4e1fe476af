export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** ±fraction of random jitter, so that many outputs do not retry in lockstep. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

/** Exponential backoff: initial, doubling, capped; `reset()` after a healthy run. */
export class Backoff {
  attempts = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.attempts);
    this.attempts++;
    const spread = base * this.options.jitter;
    return Math.round(base - spread + Math.random() * 2 * spread);
  }

  reset(): void {
    this.attempts = 0;
  }
}
