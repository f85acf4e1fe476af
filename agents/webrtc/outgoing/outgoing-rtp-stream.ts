import type { SrtpProtector } from '../srtp/srtp-protector.js';
import { SentPacketHistory } from './sent-packet-history.js';

/** Where protected datagrams go (IceSendPath in the node; a plain socket in benchmarks). */
export interface DatagramSink {
  send(parts: readonly Buffer[]): boolean;
}

export interface OutgoingRtpStreamOptions {
  ssrc: number;
  payloadType: number;
  clockRate: number;
  protector: SrtpProtector;
  sink: DatagramSink;
  /** One-byte header extensions written into every packet (e.g. sdes:mid when negotiated). */
  extensions?: readonly { id: number; data: Uint8Array }[];
  /** RTX (RFC 4588) when the receiver negotiated it; plain retransmission otherwise. */
  rtx?: { ssrc: number; payloadType: number };
  historySize?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
  now?: () => number;
}

export interface OutgoingRtpCounters {
  packets: number;
  /** Payload octets (RFC 3550 SR octet count). */
  octets: number;
  retransmitted: number;
  nacks: number;
  dropped: number;
}

/** Biggest NACK we answer at once: junk lists (trap 5) must not turn into a burst. */
const MAX_RESENDS_PER_NACK = 64;

/**
 * One outgoing RTP stream of a subscriber: per packet only the header (SSRC, PT, sequence number,
 * timestamp, marker, the fixed extensions of a template), SRTP and one gather send. Payloads are
 * shared with every other subscriber and never written. Sequence numbers are ours and
 * contiguous, so the rollover counter (RFC 3711 §3.3.1) is exact: it increments when the
 * sequence number wraps. Keeps a history to answer NACKs, and the counters an SR reports.
 */
export class OutgoingRtpStream {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly counters: OutgoingRtpCounters = { packets: 0, octets: 0, retransmitted: 0, nacks: 0, dropped: 0 };
  private protector: SrtpProtector;
  private sink: DatagramSink;
  private readonly template: Buffer;
  private readonly history: SentPacketHistory;
  private readonly now: () => number;
  private readonly rtx: { ssrc: number; payloadType: number; template: Buffer } | undefined;
  private seq: number;
  private roc = 0;
  private rtxSeq: number;
  private rtxRoc = 0;
  private tsOffset = 0;
  private lastTs: number;
  private lastFrameAt = Number.NaN;
  private source: string | undefined;
  private closed = false;

  constructor(options: OutgoingRtpStreamOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.payloadType = options.payloadType & 0x7f;
    this.clockRate = options.clockRate;
    this.protector = options.protector;
    this.sink = options.sink;
    this.now = options.now ?? (() => performance.now());
    this.history = new SentPacketHistory(options.historySize ?? 1024);
    this.template = buildHeaderTemplate(this.payloadType, this.ssrc, options.extensions ?? []);
    this.rtx = options.rtx
      ? {
          ...options.rtx,
          ssrc: options.rtx.ssrc >>> 0,
          template: buildHeaderTemplate(
            options.rtx.payloadType & 0x7f,
            options.rtx.ssrc >>> 0,
            options.extensions ?? [],
          ),
        }
      : undefined;
    this.seq = (options.initialSequenceNumber ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    this.rtxSeq = Math.floor(Math.random() * 0x10000);
    this.lastTs = (options.initialTimestamp ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  }

  /** New keys or a new path after a DTLS restart; numbering (and so the packet index) continues. */
  rebind(protector: SrtpProtector, sink: DatagramSink): void {
    this.protector = protector;
    this.sink = sink;
  }

  /** The sequence number the next packet gets. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  get rolloverCounter(): number {
    return this.roc;
  }

  /**
   * The RTP timestamp of a frame. `sourceId` names where frames come from; a change (simulcast
   * layer, another publisher) rebases timestamps so that they continue from the last one sent,
   * advanced by the wall time since.
   */
  frameTimestamp(frameTimestamp: number, sourceId: string): number {
    const now = this.now();
    if (sourceId !== this.source) {
      const advance = Number.isNaN(this.lastFrameAt)
        ? 0
        : Math.max(1, Math.round(((now - this.lastFrameAt) * this.clockRate) / 1000));
      this.tsOffset = this.lastTs + advance - frameTimestamp;
      this.source = sourceId;
    }
    const ts = (((frameTimestamp + this.tsOffset) % 2 ** 32) + 2 ** 32) % 2 ** 32;
    this.lastTs = ts;
    this.lastFrameAt = now;
    return ts;
  }

  /** Numbers, protects and sends one packet; keeps it for NACKs. */
  sendPacket(payload: Uint8Array, timestamp: number, marker: boolean): void {
    if (this.closed) return;
    const seq = this.seq;
    const roc = this.roc;
    this.history.store(seq, roc, timestamp, marker, payload, this.now());
    this.seq = (seq + 1) & 0xffff;
    if (this.seq === 0) this.roc = (this.roc + 1) >>> 0;
    this.counters.packets++;
    this.counters.octets += payload.length;
    this.transmit(this.template, this.ssrc, seq, roc, timestamp, marker, payload);
  }

  /**
   * Gives up on packets that were never sent (a frame that waited too long to go out): their
   * sequence numbers are skipped so that the receiver sees the loss, NACKs in vain and asks for
   * a keyframe, instead of decoding past a hole it cannot see.
   */
  skip(count: number): void {
    for (let i = 0; i < count; i++) {
      this.seq = (this.seq + 1) & 0xffff;
      if (this.seq === 0) this.roc = (this.roc + 1) >>> 0;
    }
    this.counters.dropped += count;
  }

  /** Answers a generic NACK from the history (RTX when negotiated). Returns packets resent. */
  resend(lost: readonly number[]): number {
    if (this.closed) return 0;
    this.counters.nacks++;
    const now = this.now();
    let sent = 0;
    for (let k = 0; k < lost.length && sent < MAX_RESENDS_PER_NACK; k++) {
      const seq = lost[k]!;
      if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) continue;
      const slot = this.history.find(seq, now);
      if (slot < 0) continue;
      const payload = this.history.payload(slot);
      const ts = this.history.timestamp(slot);
      const marker = this.history.marker(slot);
      const rtx = this.rtx;
      if (rtx) {
        // RFC 4588: the original sequence number leads the payload.
        const body = Buffer.allocUnsafe(payload.length + 2);
        body[0] = seq >> 8;
        body[1] = seq & 0xff;
        body.set(payload, 2);
        const rseq = this.rtxSeq;
        const rroc = this.rtxRoc;
        this.rtxSeq = (rseq + 1) & 0xffff;
        if (this.rtxSeq === 0) this.rtxRoc = (this.rtxRoc + 1) >>> 0;
        this.transmit(rtx.template, rtx.ssrc, rseq, rroc, ts, marker, body);
      } else {
        // Same SSRC and sequence number: the packet index (and so the ROC) of the original.
        this.transmit(this.template, this.ssrc, seq, this.history.roc(slot), ts, marker, payload);
        this.counters.packets++;
        this.counters.octets += payload.length;
      }
      this.counters.retransmitted++;
      sent++;
    }
    return sent;
  }

  /** RTP timestamp that corresponds to `nowMs` (the SR's RTP time), extrapolated from the last frame. */
  rtpTimeAt(nowMs: number): number {
    if (Number.isNaN(this.lastFrameAt)) return this.lastTs;
    const ticks = Math.round(((nowMs - this.lastFrameAt) * this.clockRate) / 1000);
    return (((this.lastTs + ticks) % 2 ** 32) + 2 ** 32) % 2 ** 32;
  }

  get hasSent(): boolean {
    return this.counters.packets > 0;
  }

  close(): void {
    this.closed = true;
    this.history.clear();
  }

  private transmit(
    template: Buffer,
    ssrc: number,
    seq: number,
    roc: number,
    timestamp: number,
    marker: boolean,
    payload: Uint8Array,
  ): void {
    // A fresh header per packet (a pooled slice): dgram.send on an unconnected socket resolves
    // the address on the next tick, so a reused buffer could be rewritten before it is sent.
    const header = Buffer.allocUnsafe(template.length);
    template.copy(header, 0);
    if (marker) header[1] = header[1]! | 0x80;
    header[2] = seq >> 8;
    header[3] = seq & 0xff;
    header.writeUInt32BE(timestamp >>> 0, 4);
    const { encrypted, tag } = this.protector.protect(header, payload, ssrc, seq, roc);
    if (!this.sink.send([header, encrypted, tag])) this.counters.dropped++;
  }
}

/** 12-byte RTP header (+ RFC 8285 one-byte extensions) with everything but seq/ts/marker filled in. */
export function buildHeaderTemplate(
  payloadType: number,
  ssrc: number,
  extensions: readonly { id: number; data: Uint8Array }[],
): Buffer {
  let extBytes = 0;
  for (const e of extensions) {
    if (e.id < 1 || e.id > 14 || e.data.length < 1 || e.data.length > 16) {
      throw new RangeError(`extension ${e.id} does not fit the one-byte form`);
    }
    extBytes += 1 + e.data.length;
  }
  const extWords = Math.ceil(extBytes / 4);
  const header = Buffer.alloc(12 + (extensions.length > 0 ? 4 + extWords * 4 : 0));
  header[0] = 0x80 | (extensions.length > 0 ? 0x10 : 0);
  header[1] = payloadType & 0x7f;
  header.writeUInt32BE(ssrc >>> 0, 8);
  if (extensions.length > 0) {
    header.writeUInt16BE(0xbede, 12);
    header.writeUInt16BE(extWords, 14);
    let o = 16;
    for (const e of extensions) {
      header[o++] = (e.id << 4) | (e.data.length - 1);
      header.set(e.data, o);
      o += e.data.length;
    }
  }
  return header;
}
