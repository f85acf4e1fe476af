/**
 * What an outgoing stream sent recently, by sequence number, to answer NACKs: a fixed ring of
 * parallel arrays (no object per packet). The payload is a reference to the shared packetized
 * payload, never a copy.
 */
export class SentPacketHistory {
  readonly size: number;
  private readonly mask: number;
  private readonly maxAgeMs: number;
  private readonly payloads: (Uint8Array | undefined)[];
  private readonly seqs: Int32Array;
  private readonly timestamps: Uint32Array;
  private readonly rocs: Uint32Array;
  private readonly markers: Uint8Array;
  private readonly sentAt: Float64Array;

  constructor(size = 1024, maxAgeMs = 1000) {
    let n = 16;
    while (n < size) n *= 2;
    this.size = Math.min(n, 0x8000); // half the sequence space: no ambiguous slots
    this.mask = this.size - 1;
    this.maxAgeMs = maxAgeMs;
    this.payloads = new Array(this.size).fill(undefined);
    this.seqs = new Int32Array(this.size).fill(-1);
    this.timestamps = new Uint32Array(this.size);
    this.rocs = new Uint32Array(this.size);
    this.markers = new Uint8Array(this.size);
    this.sentAt = new Float64Array(this.size);
  }

  store(
    seq: number,
    roc: number,
    timestamp: number,
    marker: boolean,
    payload: Uint8Array,
    nowMs: number,
  ): void {
    const i = seq & this.mask;
    this.payloads[i] = payload;
    this.seqs[i] = seq & 0xffff;
    this.rocs[i] = roc;
    this.timestamps[i] = timestamp;
    this.markers[i] = marker ? 1 : 0;
    this.sentAt[i] = nowMs;
  }

  /** Slot of a packet still worth resending, or -1. */
  find(seq: number, nowMs: number): number {
    const i = seq & this.mask;
    if (this.seqs[i] !== (seq & 0xffff)) return -1;
    if (nowMs - this.sentAt[i]! > this.maxAgeMs) return -1;
    return i;
  }

  payload(slot: number): Uint8Array {
    return this.payloads[slot]!;
  }

  roc(slot: number): number {
    return this.rocs[slot]!;
  }

  timestamp(slot: number): number {
    return this.timestamps[slot]!;
  }

  marker(slot: number): boolean {
    return this.markers[slot] === 1;
  }

  clear(): void {
    this.payloads.fill(undefined);
    this.seqs.fill(-1);
  }
}
