import type { RtpHeaderExtension, RtpPacket } from './rtp-packet.js';

export interface RtpRewriterOptions {
  ssrc: number;
  payloadType?: number;
  clockRate: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
  now?: () => number;
}

const NO_EXTENSIONS: readonly RtpHeaderExtension[] = Object.freeze([]);

/**
 * SFU forwarding without depacketizing: rewrites SSRC, sequence numbers and timestamps of
 * forwarded packets so the subscriber sees one continuous stream across source switches
 * (switch on a keyframe). Returns a new header object; the payload is shared, the
 * publisher's header extensions are stripped (trap 3).
 */
export class RtpRewriter {
  readonly ssrc: number;
  private readonly payloadType: number | undefined;
  private readonly clockRate: number;
  private readonly now: () => number;
  private source: string | undefined;
  private seqOffset = 0;
  private tsOffset = 0;
  /** Highest output sequence number, unwrapped so the comparison survives the wrap. */
  private lastSeqExt: number;
  private lastTs: number;
  private lastAt = Number.NaN;

  constructor(options: RtpRewriterOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.payloadType = options.payloadType;
    this.clockRate = options.clockRate;
    this.now = options.now ?? (() => performance.now());
    this.lastSeqExt = ((options.initialSequenceNumber ?? Math.floor(Math.random() * 0x10000)) & 0xffff) - 1;
    this.lastTs = (options.initialTimestamp ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  }

  rewrite(packet: RtpPacket, sourceId = ''): RtpPacket {
    const now = this.now();
    if (sourceId !== this.source) {
      this.source = sourceId;
      this.seqOffset = this.lastSeqExt + 1 - packet.sequenceNumber;
      const advance = Number.isNaN(this.lastAt)
        ? 0
        : Math.max(1, Math.round(((now - this.lastAt) * this.clockRate) / 1000));
      this.tsOffset = this.lastTs + advance - packet.timestamp;
    }
    const seqOut = (((packet.sequenceNumber + this.seqOffset) % 0x10000) + 0x10000) % 0x10000;
    const tsOut = (((packet.timestamp + this.tsOffset) % 2 ** 32) + 2 ** 32) % 2 ** 32;
    // Track the newest output position (a late packet does not move it back).
    const delta = (seqOut - this.lastSeqExt) & 0xffff;
    if (delta > 0 && delta < 0x8000) {
      this.lastSeqExt += delta;
      this.lastTs = tsOut;
      this.lastAt = now;
    }
    return {
      payloadType: this.payloadType ?? packet.payloadType,
      marker: packet.marker,
      sequenceNumber: seqOut,
      timestamp: tsOut,
      ssrc: this.ssrc,
      csrcs: packet.csrcs,
      extensionProfile: 0,
      extensions: NO_EXTENSIONS,
      payload: packet.payload,
      paddingSize: 0,
    };
  }
}
