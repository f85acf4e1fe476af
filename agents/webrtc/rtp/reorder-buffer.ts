import type { RtpPacket } from './rtp-packet.js';
import { SequenceUnwrapper } from './sequence-unwrapper.js';

export interface ReorderBufferOptions {
  /** Most packets held while waiting for a gap to fill (rounded up to a power of two). */
  capacity?: number;
  /** How long (ms) the oldest held packet waits for a gap before the gap is given up as lost. */
  maxWaitMs?: number;
  /** Receives packets in sequence order, each with its unwrapped sequence number. */
  onPacket: (packet: RtpPacket, extSeq: number) => void;
  /** A run of packets given up as lost: the frame assembler drops the frame they belonged to. */
  onLoss?: (firstExtSeq: number, count: number) => void;
  /**
   * Hold the first packets this long (ms) before releasing any, so that packets reordered
   * before the very first one still count (default min(maxWaitMs, 30)).
   */
  startupHoldMs?: number;
  /**
   * The sequence jumped back by more than twice the capacity (sender restarted its
   * numbering): everything held was flushed and the buffer restarted at the new packet.
   */
  onReset?: () => void;
}

export interface ReorderBufferStats {
  received: number;
  released: number;
  duplicates: number;
  /** Arrived after their gap had been given up. */
  late: number;
  lost: number;
}

/**
 * Bounded jitter/reorder buffer over a ring indexed by unwrapped sequence number: O(1) per
 * in-order packet, no sorting (trap 4: werift's sorts dominated CPU under loss). Releases in
 * order, reports gaps for NACK, and gives up on a gap when it has held a packet for maxWaitMs
 * or when the ring is full.
 */
export class ReorderBuffer {
  readonly capacity: number;
  readonly maxWaitMs: number;
  readonly stats: ReorderBufferStats = { received: 0, released: 0, duplicates: 0, late: 0, lost: 0 };
  private readonly mask: number;
  private readonly slots: (RtpPacket | undefined)[];
  private readonly slotSeq: Float64Array;
  private readonly arrival: Float64Array;
  private readonly unwrapper = new SequenceUnwrapper();
  private readonly onPacket: (packet: RtpPacket, extSeq: number) => void;
  private readonly onLoss: (firstExtSeq: number, count: number) => void;
  private readonly onReset: () => void;
  private next = 0;
  private started = false;
  private held = 0;
  private highest = 0;
  private deadline = Number.POSITIVE_INFINITY;
  private readonly startupHoldMs: number;
  private holdUntil = Number.NaN;

  constructor(options: ReorderBufferOptions) {
    let cap = 16;
    while (cap < (options.capacity ?? 512)) cap *= 2;
    this.capacity = cap;
    this.mask = cap - 1;
    this.maxWaitMs = options.maxWaitMs ?? 150;
    this.slots = new Array(cap).fill(undefined);
    this.slotSeq = new Float64Array(cap).fill(Number.NaN);
    this.arrival = new Float64Array(cap);
    this.onPacket = options.onPacket;
    this.onLoss = options.onLoss ?? (() => {});
    this.onReset = options.onReset ?? (() => {});
    this.startupHoldMs = options.startupHoldMs ?? Math.min(this.maxWaitMs, 30);
  }

  /** Number of packets held back behind a gap. */
  get size(): number {
    return this.held;
  }

  /** The next sequence number expected (unwrapped), undefined before the first packet. */
  get nextExpected(): number | undefined {
    return this.started ? this.next : undefined;
  }

  /**
   * Adds a packet. Returns its unwrapped sequence number, or undefined when it was dropped
   * as a duplicate or as too late.
   */
  insert(packet: RtpPacket, nowMs: number): number | undefined {
    this.stats.received++;
    const ext = this.unwrapper.unwrap(packet.sequenceNumber);
    if (!this.started) {
      this.started = true;
      this.next = ext;
      this.highest = ext - 1;
      this.holdUntil = this.startupHoldMs > 0 ? nowMs + this.startupHoldMs : Number.NaN;
    }
    if (this.holding(nowMs)) return this.hold(packet, ext, nowMs);
    if (ext < this.next) {
      if (this.next - ext <= 2 * this.capacity) {
        this.stats.late++;
        return undefined;
      }
      this.restartAt(ext);
    }
    if (ext - this.next >= this.capacity) {
      // Jump past the ring: give up on whatever keeps the oldest packets back (one loss
      // report for the skipped run when nothing held is left in the window).
      this.advanceTo(Math.min(ext - this.capacity + 1, this.highest + 1));
      if (this.held === 0) {
        this.reportLoss(this.next, ext - this.next);
        this.next = ext;
      }
    }
    if (ext === this.next && this.held === 0) {
      // Fast path: in order, nothing waiting.
      this.next = ext + 1;
      if (ext > this.highest) this.highest = ext;
      this.stats.released++;
      this.onPacket(packet, ext);
      return ext;
    }
    const idx = ext & this.mask;
    if (this.slotSeq[idx] === ext) {
      this.stats.duplicates++;
      return undefined;
    }
    this.slots[idx] = packet;
    this.slotSeq[idx] = ext;
    this.arrival[idx] = nowMs;
    this.held++;
    if (ext > this.highest) this.highest = ext;
    if (nowMs + this.maxWaitMs < this.deadline) this.deadline = nowMs + this.maxWaitMs;
    this.drain();
    return ext;
  }

  /** Gives up on gaps whose held packets waited maxWaitMs; call on a timer (see nextDeadline). */
  poll(nowMs: number): void {
    if (this.holding(nowMs)) return;
    let guard = this.capacity + 1;
    while (this.held > 0 && nowMs >= this.deadline && guard-- > 0) {
      this.skipGap();
      this.drain();
    }
  }

  /** When poll() next has work to do (ms, same clock as insert), undefined when idle. */
  get nextDeadline(): number | undefined {
    if (!Number.isNaN(this.holdUntil)) return this.holdUntil;
    return this.held > 0 ? this.deadline : undefined;
  }

  /** True during the startup hold; ends it (releasing what is held) once its time is up. */
  private holding(nowMs: number): boolean {
    if (Number.isNaN(this.holdUntil)) return false;
    if (nowMs < this.holdUntil) return true;
    this.holdUntil = Number.NaN;
    this.drain();
    return false;
  }

  /** Startup: keep everything, letting `next` move back to the lowest sequence number seen. */
  private hold(packet: RtpPacket, ext: number, nowMs: number): number | undefined {
    const idx = ext & this.mask;
    if (
      this.slotSeq[idx] === ext ||
      this.highest - ext >= this.capacity ||
      ext - this.next >= this.capacity
    ) {
      this.stats.duplicates++;
      return undefined;
    }
    this.slots[idx] = packet;
    this.slotSeq[idx] = ext;
    this.arrival[idx] = nowMs;
    this.held++;
    if (ext < this.next) this.next = ext;
    if (ext > this.highest) this.highest = ext;
    return ext;
  }

  /** Unwrapped sequence numbers currently missing between the next expected and the highest seen. */
  missing(limit = this.capacity): number[] {
    const out: number[] = [];
    if (!this.started) return out;
    for (let s = this.next; s < this.highest && out.length < limit; s++) {
      if (this.slotSeq[s & this.mask] !== s) out.push(s);
    }
    return out;
  }

  /** Releases everything held, reporting the gaps as lost. */
  flush(): void {
    this.holdUntil = Number.NaN;
    if (this.held > 0) this.advanceTo(this.highest + 1);
  }

  private restartAt(ext: number): void {
    this.flush();
    this.next = ext;
    this.highest = ext - 1;
    this.onReset();
  }

  private take(ext: number): RtpPacket | undefined {
    const idx = ext & this.mask;
    if (this.slotSeq[idx] !== ext) return undefined;
    const packet = this.slots[idx];
    this.slots[idx] = undefined;
    this.slotSeq[idx] = Number.NaN;
    this.held--;
    return packet;
  }

  /** Releases consecutive packets from `next`, then recomputes the gap deadline. */
  private drain(): void {
    let released = false;
    for (;;) {
      const packet = this.take(this.next);
      if (!packet) break;
      const ext = this.next++;
      this.stats.released++;
      released = true;
      this.onPacket(packet, ext);
    }
    // Held packets only get newer when nothing is released: the deadline stands.
    if (released || this.held === 0 || this.deadline === Number.POSITIVE_INFINITY) this.recomputeDeadline();
  }

  private recomputeDeadline(): void {
    this.deadline = Number.POSITIVE_INFINITY;
    if (this.held === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (let s = this.next; s <= this.highest; s++) {
      const idx = s & this.mask;
      if (this.slotSeq[idx] === s && this.arrival[idx]! < oldest) oldest = this.arrival[idx]!;
    }
    this.deadline = oldest + this.maxWaitMs;
  }

  /** Declares the gap at `next` lost up to the first held packet. */
  private skipGap(): void {
    let s = this.next;
    while (s <= this.highest && this.slotSeq[s & this.mask] !== s) s++;
    this.reportLoss(this.next, s - this.next);
    this.next = s;
    this.deadline = Number.POSITIVE_INFINITY; // drain() recomputes it
  }

  /** Moves `next` to `target`, releasing held packets and reporting gaps on the way. */
  private advanceTo(target: number): void {
    while (this.next < target) {
      if (this.held === 0) {
        this.reportLoss(this.next, target - this.next);
        this.next = target;
        break;
      }
      const packet = this.take(this.next);
      if (packet) {
        const ext = this.next++;
        this.stats.released++;
        this.onPacket(packet, ext);
        continue;
      }
      let s = this.next;
      while (s < target && this.slotSeq[s & this.mask] !== s) s++;
      this.reportLoss(this.next, s - this.next);
      this.next = s;
    }
    this.deadline = Number.POSITIVE_INFINITY;
    this.drain();
  }

  private reportLoss(first: number, count: number): void {
    if (count <= 0) return;
    this.stats.lost += count;
    this.onLoss(first, count);
  }
}
