export interface RetransmissionCacheOptions {
  /** Packets kept (rounded up to a power of two). */
  size?: number;
  /** Packets older than this are not resent (ms): the receiver has given up on them. */
  maxAgeMs?: number;
}

/**
 * Send-side store of recently sent packets, indexed by sequence number, that answers NACKs.
 * A fixed ring: storing is O(1) and allocation-free; a newer packet overwrites the slot of one
 * `size` packets older.
 */
export class RetransmissionCache<T = Uint8Array> {
  readonly size: number;
  private readonly mask: number;
  private readonly maxAgeMs: number;
  private readonly items: (T | undefined)[];
  private readonly seqs: Int32Array;
  private readonly times: Float64Array;

  constructor(options: RetransmissionCacheOptions = {}) {
    let size = 16;
    while (size < (options.size ?? 512)) size *= 2;
    if (size > 0x8000) size = 0x8000; // half the sequence space: no ambiguous slots
    this.size = size;
    this.mask = size - 1;
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    this.items = new Array(size).fill(undefined);
    this.seqs = new Int32Array(size).fill(-1);
    this.times = new Float64Array(size);
  }

  store(sequenceNumber: number, item: T, nowMs: number): void {
    const idx = sequenceNumber & this.mask;
    this.items[idx] = item;
    this.seqs[idx] = sequenceNumber & 0xffff;
    this.times[idx] = nowMs;
  }

  get(sequenceNumber: number, nowMs: number): T | undefined {
    const idx = sequenceNumber & this.mask;
    if (this.seqs[idx] !== (sequenceNumber & 0xffff)) return undefined;
    if (nowMs - this.times[idx]! > this.maxAgeMs) return undefined;
    return this.items[idx];
  }

  /** The cached packets a NACK asks for, in its order, skipping unknown or expired ones. */
  answerNack(lost: readonly number[], nowMs: number): T[] {
    const out: T[] = [];
    for (const s of lost) {
      const item = this.get(s, nowMs);
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.seqs.fill(-1);
  }
}
