/**
 * Keeps the frames of a stream that make up a lower framerate, by timestamp (90 kHz): 30 → 15
 * keeps every other frame, 30 → 20 two of three. Jitter of a quarter interval is tolerated;
 * after a gap it restarts from the next frame.
 */
export class FrameRateDecimator {
  private readonly interval: number;
  private next: number | undefined;

  constructor(framerate: number, clockRate = 90_000) {
    this.interval = clockRate / framerate;
  }

  /** Whether the frame at `timestamp` is kept (call once per frame, in order). */
  keep(timestamp: number): boolean {
    const slack = this.interval / 4;
    if (this.next !== undefined && timestamp < this.next - slack) return false;
    this.next =
      this.next === undefined || timestamp > this.next + this.interval
        ? timestamp + this.interval
        : Math.max(this.next + this.interval, timestamp + this.interval / 2);
    return true;
  }
}
