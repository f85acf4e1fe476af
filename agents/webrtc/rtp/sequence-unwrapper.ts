/**
 * Unwraps 16-bit RTP sequence numbers and 32-bit RTP timestamps into monotonic counters.
 * Each value is placed at the unwrapped position closest to the previous one, so reordering
 * across the wrap point is handled; the first value maps to itself (a packet reordered before
 * the first one may unwrap to a negative number).
 */
export class WrapUnwrapper {
  private readonly range: number;
  private readonly half: number;
  private last = 0;
  private started = false;

  constructor(bits: 16 | 32) {
    this.range = 2 ** bits;
    this.half = this.range / 2;
  }

  unwrap(value: number): number {
    if (!this.started) {
      this.started = true;
      this.last = value;
      return value;
    }
    const lastMod = ((this.last % this.range) + this.range) % this.range;
    let delta = value - lastMod;
    if (delta > this.half) delta -= this.range;
    else if (delta <= -this.half) delta += this.range;
    const result = this.last + delta;
    // Only move forward so that a late packet does not drag the reference back.
    if (result > this.last) this.last = result;
    return result;
  }

  /** The highest unwrapped value seen (undefined before the first). */
  get highest(): number | undefined {
    return this.started ? this.last : undefined;
  }

  reset(): void {
    this.started = false;
    this.last = 0;
  }
}

export class SequenceUnwrapper extends WrapUnwrapper {
  constructor() {
    super(16);
  }
}

export class TimestampUnwrapper extends WrapUnwrapper {
  constructor() {
    super(32);
  }
}
