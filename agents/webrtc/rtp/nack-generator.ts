export interface NackGeneratorOptions {
  /** NACKs per missing packet before giving up. */
  maxRetries?: number;
  /** Round-trip estimate (ms) until setRtt() tells better; spaces the retries. */
  rttMs?: number;
  /** Wait this long after a gap appears before the first NACK (tolerates plain reordering). */
  reorderDelayMs?: number;
  /** Forget missing packets older than this (ms): the reorder buffer gave up on them anyway. */
  maxAgeMs?: number;
  /** Most missing packets tracked; a bigger jump is treated as a stream reset. */
  maxMissing?: number;
}

export interface NackGeneratorStats {
  nacksRequested: number;
  recovered: number;
  givenUp: number;
}

interface MissingEntry {
  detectedAt: number;
  sentAt: number;
  retries: number;
}

/**
 * Receive-side NACK scheduling (RFC 4585 generic NACK). Fed with the unwrapped sequence number
 * of every arriving packet, it tracks the gaps and says which sequence numbers to NACK now:
 * first after a short reordering delay, then again every RTT×1.2 until the packet arrives, the
 * retry limit is reached or it is too old.
 */
export class NackGenerator {
  readonly stats: NackGeneratorStats = { nacksRequested: 0, recovered: 0, givenUp: 0 };
  private readonly maxRetries: number;
  private readonly reorderDelayMs: number;
  private readonly maxAgeMs: number;
  private readonly maxMissing: number;
  private rttMs: number;
  private highest = Number.NaN;
  private readonly missing = new Map<number, MissingEntry>();

  constructor(options: NackGeneratorOptions = {}) {
    this.maxRetries = options.maxRetries ?? 10;
    this.rttMs = options.rttMs ?? 100;
    this.reorderDelayMs = options.reorderDelayMs ?? 5;
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    this.maxMissing = options.maxMissing ?? 1000;
  }

  setRtt(rttMs: number): void {
    if (Number.isFinite(rttMs) && rttMs > 0) this.rttMs = rttMs;
  }

  /** Number of sequence numbers currently awaited. */
  get missingCount(): number {
    return this.missing.size;
  }

  /** A packet arrived (original or repaired through RTX). */
  onPacket(extSeq: number, nowMs: number): void {
    if (Number.isNaN(this.highest)) {
      this.highest = extSeq;
      return;
    }
    if (extSeq <= this.highest) {
      if (this.missing.delete(extSeq)) this.stats.recovered++;
      return;
    }
    const gap = extSeq - this.highest - 1;
    if (gap > this.maxMissing) {
      this.stats.givenUp += this.missing.size;
      this.missing.clear();
    } else {
      for (let s = this.highest + 1; s < extSeq; s++) {
        this.missing.set(s, { detectedAt: nowMs, sentAt: Number.NaN, retries: 0 });
      }
      this.trim();
    }
    this.highest = extSeq;
  }

  /** Forgets everything (the sequence numbering restarted). */
  reset(): void {
    this.stats.givenUp += this.missing.size;
    this.missing.clear();
    this.highest = Number.NaN;
  }

  /** Stops asking for packets before `extSeq` (the reorder buffer gave up on them). */
  forgetBefore(extSeq: number): void {
    for (const s of this.missing.keys()) {
      if (s >= extSeq) break; // insertion order is ascending
      this.missing.delete(s);
      this.stats.givenUp++;
    }
  }

  /** Sequence numbers (16-bit) to put in a NACK now; empty when nothing is due. */
  poll(nowMs: number): number[] {
    const due: number[] = [];
    const spacing = Math.max(10, this.rttMs * 1.2);
    for (const [s, e] of this.missing) {
      if (e.retries >= this.maxRetries || nowMs - e.detectedAt > this.maxAgeMs) {
        this.missing.delete(s);
        this.stats.givenUp++;
        continue;
      }
      const ready = Number.isNaN(e.sentAt)
        ? nowMs - e.detectedAt >= this.reorderDelayMs
        : nowMs - e.sentAt >= spacing;
      if (ready) {
        e.sentAt = nowMs;
        e.retries++;
        due.push(s & 0xffff);
      }
    }
    this.stats.nacksRequested += due.length;
    return due;
  }

  private trim(): void {
    let excess = this.missing.size - this.maxMissing;
    if (excess <= 0) return;
    for (const s of this.missing.keys()) {
      if (excess-- <= 0) break;
      this.missing.delete(s);
      this.stats.givenUp++;
    }
  }
}
