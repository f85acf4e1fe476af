export interface RembEstimatorOptions {
  /** Ceiling (the configured `webrtc.rembBps`); also the value before the first sample. */
  maxBps: number;
  /** Floor: below this a publisher's video is useless anyway. */
  minBps?: number;
}

/** What the publication saw since the previous update. */
export interface RembSample {
  /** Video bytes received (RTP, headers included). */
  bytes: number;
  /** Packets received. */
  packets: number;
  /** Packets lost for good (after NACK): loss the publisher's path could not repair. */
  lost: number;
  /** Length of the interval (ms). */
  intervalMs: number;
}

/**
 * Loss-based receive estimate for REMB (after the loss controller of GCC,
 * draft-ietf-rmcat-gcc §6, fed with what a publication measures once a second): over 10 % loss
 * it falls by half the loss fraction, between 2 and 10 % it holds, under 2 % it recovers by 25 %
 * per update up to the ceiling. It is not capped by the received rate: a browser only turns on
 * a higher simulcast layer or resolution once the estimate already allows it (a cap at 1.5 ×
 * received kept Chromium's 720p layer off in the e2e simulcast test).
 */
export class RembEstimator {
  private readonly maxBps: number;
  private readonly minBps: number;
  private estimate: number;
  /** Last received rate (bps), for stats. */
  receivedBps = 0;
  /** Last loss fraction (0..1). */
  lossFraction = 0;

  constructor(options: RembEstimatorOptions) {
    this.maxBps = options.maxBps;
    this.minBps = Math.min(options.minBps ?? 150_000, options.maxBps);
    this.estimate = options.maxBps;
  }

  get bps(): number {
    return Math.round(this.estimate);
  }

  update(sample: RembSample): number {
    if (sample.intervalMs <= 0 || sample.packets + sample.lost === 0) return this.bps;
    this.receivedBps = (sample.bytes * 8 * 1000) / sample.intervalMs;
    this.lossFraction = sample.lost / (sample.packets + sample.lost);
    if (this.lossFraction > 0.1) this.estimate *= 1 - 0.5 * this.lossFraction;
    else if (this.lossFraction < 0.02) this.estimate *= 1.25;
    this.estimate = Math.max(this.minBps, Math.min(this.maxBps, this.estimate));
    return this.bps;
  }
}
