/**
 * A drift-free periodic timer: tick k is due at origin + k·period, so timer lateness never
 * accumulates. Ticks that could not fire at all (the event loop was blocked for more than a
 * period) are skipped and counted, not fired in a burst: real time over completeness.
 */
export class FrameClock {
  private timer: NodeJS.Timeout | undefined;
  private origin = 0;
  private index = 0;
  /** Ticks skipped because the loop was late by more than one period. */
  missedTicks = 0;
  readonly periodMs: number;

  constructor(
    framerate: number,
    private readonly onTick: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.periodMs = 1000 / framerate;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.origin = this.now();
    this.index = 0;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.index++;
    let delay = this.origin + this.index * this.periodMs - this.now();
    if (delay < -this.periodMs) {
      const missed = Math.floor(-delay / this.periodMs);
      this.missedTicks += missed;
      this.index += missed;
      delay += missed * this.periodMs;
    }
    this.timer = setTimeout(
      () => {
        this.onTick();
        if (this.timer) this.schedule();
      },
      Math.max(0, delay),
    );
  }
}
