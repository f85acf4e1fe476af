import { performance } from 'node:perf_hooks';

export interface DriftFreeClockOptions {
  periodMs: number;
  /** Called once per period, in order; `tick` counts from 0. */
  onTick: (tick: number) => void;
  /**
   * Called when the event loop was so late that whole periods were dropped instead of being
   * run back to back (a burst of catch-up ticks would only add latency).
   */
  onSkipped?: (periods: number) => void;
  /** At most this many late periods are caught up at once; the rest are skipped. */
  maxCatchUp?: number;
}

/**
 * A periodic timer whose n-th tick is due at start + n × period, whatever the lateness of the
 * ones before: setInterval drifts by the event loop's lateness on every period, this does not.
 */
export class DriftFreeClock {
  private origin = 0;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxCatchUp: number;

  constructor(private readonly options: DriftFreeClockOptions) {
    this.maxCatchUp = options.maxCatchUp ?? 5;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.origin = performance.now();
    this.next = 0;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = this.origin + (this.next + 1) * this.options.periodMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - performance.now()));
    // A node process lives on its bus connection, not on a mixer's clock.
    this.timer.unref();
  }

  private fire(): void {
    const elapsed = Math.floor((performance.now() - this.origin) / this.options.periodMs);
    let due = elapsed - this.next;
    if (due > this.maxCatchUp) {
      this.options.onSkipped?.(due - this.maxCatchUp);
      this.next += due - this.maxCatchUp;
      due = this.maxCatchUp;
    }
    for (let i = 0; i < due && this.timer; i++) this.options.onTick(this.next++);
    if (this.timer) this.schedule();
  }
}
