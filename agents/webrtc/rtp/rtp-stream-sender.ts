import type { Packetizer } from './packetizer.js';
import type { RtpHeaderExtension, RtpPacket } from './rtp-packet.js';

export interface RtpStreamSenderOptions {
  ssrc: number;
  payloadType: number;
  clockRate: number;
  packetizer: Packetizer;
  /** Largest RTP payload (descriptor included); 1200 leaves room for SRTP and extensions. */
  maxPayloadSize?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
  now?: () => number;
}

export interface OutgoingFrame {
  payload: Uint8Array;
  /** In the stream's clock (unwrapped is fine). */
  timestamp: number;
}

const NO_CSRCS: readonly number[] = Object.freeze([]);
const NO_EXTENSIONS: readonly RtpHeaderExtension[] = Object.freeze([]);

/**
 * Turns MediaFrames of one outgoing stream into RTP packets: its SSRC, consecutive sequence
 * numbers, marker on the last packet of each frame, and timestamps rebased so that a switch
 * to another source (simulcast layer, another publisher) keeps them continuous.
 */
export class RtpStreamSender {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly maxPayloadSize: number;
  private readonly packetizer: Packetizer;
  private readonly now: () => number;
  private seq: number;
  private tsOffset = 0;
  private lastTs: number;
  private lastSentAt = Number.NaN;
  private source: string | undefined;

  constructor(options: RtpStreamSenderOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.payloadType = options.payloadType;
    this.clockRate = options.clockRate;
    this.packetizer = options.packetizer;
    this.maxPayloadSize = options.maxPayloadSize ?? 1200;
    this.now = options.now ?? (() => performance.now());
    this.seq = (options.initialSequenceNumber ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    this.lastTs = (options.initialTimestamp ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  }

  /** The sequence number the next packet gets. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** The RTP timestamp of the last frame sent. */
  get lastTimestamp(): number {
    return this.lastTs;
  }

  /** Packetizes one frame. `sourceId` names where the frame comes from; a change rebases timestamps. */
  packetizeFrame(frame: OutgoingFrame, sourceId = ''): RtpPacket[] {
    return this.sendPayloads(frame, this.packetizer.packetize(frame.payload, this.maxPayloadSize), sourceId);
  }

  /**
   * Like packetizeFrame for payloads packetized once elsewhere (an SFU shares one packetization
   * of a frame among its subscribers): only SSRC, sequence numbers and timestamps are per stream.
   */
  sendPayloads(frame: OutgoingFrame, payloads: readonly Uint8Array[], sourceId = ''): RtpPacket[] {
    const now = this.now();
    if (sourceId !== this.source) {
      // Continue from the last timestamp sent, advanced by the wall time since (at least 1 tick).
      const advance = Number.isNaN(this.lastSentAt)
        ? 0
        : Math.max(1, Math.round(((now - this.lastSentAt) * this.clockRate) / 1000));
      this.tsOffset = this.lastTs + advance - frame.timestamp;
      this.source = sourceId;
    }
    const timestamp = (((frame.timestamp + this.tsOffset) % 2 ** 32) + 2 ** 32) % 2 ** 32;
    this.lastTs = timestamp;
    this.lastSentAt = now;
    const packets: RtpPacket[] = new Array(payloads.length);
    for (let i = 0; i < payloads.length; i++) {
      packets[i] = {
        payloadType: this.payloadType,
        marker: i === payloads.length - 1,
        sequenceNumber: this.seq,
        timestamp,
        ssrc: this.ssrc,
        csrcs: NO_CSRCS,
        extensionProfile: 0,
        extensions: NO_EXTENSIONS,
        payload: payloads[i]!,
        paddingSize: 0,
      };
      this.seq = (this.seq + 1) & 0xffff;
    }
    return packets;
  }
}
