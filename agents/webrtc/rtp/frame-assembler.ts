import type { AudioCodec, MediaFrame, VideoCodec } from '../../../common/media/media-frame.js';
import type { Depacketizer } from './depacketizer.js';
import { RtpParseError } from './rtp-errors.js';
import type { RtpPacket } from './rtp-packet.js';
import { TimestampUnwrapper } from './sequence-unwrapper.js';

export interface FrameAssemblerOptions {
  depacketizer: Depacketizer;
  /** RTP clock rate (90000 for video, 48000 for Opus). */
  clockRate: number;
  /** Audio only: defaults to clockRate and 2 channels (Opus in RTP is always 48 kHz/2). */
  sampleRate?: number;
  channels?: number;
  onFrame: (frame: MediaFrame) => void;
  /** Called when the stream needs a keyframe (PLI/FIR upstream), rate-limited. */
  onKeyframeNeeded?: () => void;
  /** Minimum spacing of repeated keyframe requests while waiting (ms). */
  keyframeRequestIntervalMs?: number;
  /** A frame with more packets than this is dropped (bounds memory). */
  maxFramePackets?: number;
  now?: () => number;
}

export interface FrameAssemblerStats {
  frames: number;
  keyframes: number;
  /** Incomplete, malformed, or waiting-for-keyframe frames that were not delivered. */
  droppedFrames: number;
  keyframeRequests: number;
  /** Packets ignored as duplicates or older than the current position. */
  stalePackets: number;
}

/**
 * Groups in-order RTP packets into frames (boundary: marker bit or timestamp change) and hands
 * them to the depacketizer. Any sequence gap drops the frame it hit; for video the stream then
 * waits for a keyframe (`needKeyframe`) so the decoder never gets a broken reference.
 */
export class FrameAssembler {
  readonly stats: FrameAssemblerStats = {
    frames: 0,
    keyframes: 0,
    droppedFrames: 0,
    keyframeRequests: 0,
    stalePackets: 0,
  };
  private readonly depacketizer: Depacketizer;
  private readonly options: FrameAssemblerOptions;
  private readonly tsUnwrapper = new TimestampUnwrapper();
  private readonly maxFramePackets: number;
  private readonly requestIntervalMs: number;
  private readonly now: () => number;
  private readonly payloads: Uint8Array[] = [];
  private open = false;
  private broken = false;
  private frameTs = 0;
  private lastSeq = -1;
  private waitingForKeyframe: boolean;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private width = 0;
  private height = 0;

  constructor(options: FrameAssemblerOptions) {
    this.options = options;
    this.depacketizer = options.depacketizer;
    this.maxFramePackets = options.maxFramePackets ?? 2048;
    this.requestIntervalMs = options.keyframeRequestIntervalMs ?? 300;
    this.now = options.now ?? (() => performance.now());
    this.waitingForKeyframe = this.depacketizer.needsKeyframeAfterLoss;
  }

  /** True while frames are being dropped until the next keyframe. */
  get needKeyframe(): boolean {
    return this.waitingForKeyframe;
  }

  /** Feed packets in sequence order (from the reorder buffer). */
  push(packet: RtpPacket): void {
    const seq = packet.sequenceNumber;
    if (this.lastSeq >= 0) {
      const delta = (seq - this.lastSeq) & 0xffff;
      if (delta === 0 || delta >= 0x8000) {
        this.stats.stalePackets++;
        return;
      }
      if (delta !== 1) this.markLoss();
    }
    this.lastSeq = seq;
    // Padding-only packet (bandwidth probe): it only keeps the sequence continuous.
    if (packet.payload.length === 0) return;
    if (this.open && packet.timestamp !== this.frameTs) this.finish();
    if (!this.open) {
      this.open = true;
      this.broken = false;
      this.frameTs = packet.timestamp;
      this.payloads.length = 0;
      if (!this.safeIsFrameStart(packet.payload)) this.broken = true;
    }
    if (!this.broken) {
      if (this.payloads.length >= this.maxFramePackets) this.broken = true;
      else this.payloads.push(packet.payload);
    }
    if (packet.marker || this.depacketizer.singlePacketFrames) this.finish();
  }

  /** Packets were lost (reorder buffer gave up on a gap): drop the frame in progress. */
  markLoss(): void {
    if (this.open) this.broken = true;
    if (this.depacketizer.needsKeyframeAfterLoss) this.enterWaiting();
  }

  /** The sequence numbering restarted: forget the position and wait for a keyframe. */
  reset(): void {
    this.lastSeq = -1;
    this.markLoss();
    this.open = false;
    this.payloads.length = 0;
  }

  /** Asks for a keyframe now (e.g. a new subscriber joined), honouring the rate limit. */
  requestKeyframe(): void {
    const t = this.now();
    if (t - this.lastRequestAt < this.requestIntervalMs) return;
    this.lastRequestAt = t;
    this.stats.keyframeRequests++;
    this.options.onKeyframeNeeded?.();
  }

  private enterWaiting(): void {
    this.waitingForKeyframe = true;
    this.requestKeyframe();
  }

  private safeIsFrameStart(payload: Uint8Array): boolean {
    try {
      return this.depacketizer.isFrameStart(payload);
    } catch (err) {
      if (err instanceof RtpParseError) return false;
      throw err;
    }
  }

  private finish(): void {
    this.open = false;
    const payloads = this.payloads;
    if (this.broken || payloads.length === 0) {
      this.drop();
      return;
    }
    let assembled: ReturnType<Depacketizer['assemble']>;
    try {
      assembled = this.depacketizer.assemble(payloads);
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
      assembled = null;
    }
    payloads.length = 0;
    if (!assembled) {
      this.drop();
      return;
    }
    const timestamp = this.tsUnwrapper.unwrap(this.frameTs);
    const d = this.depacketizer;
    if (d.kind === 'audio') {
      this.stats.frames++;
      this.options.onFrame({
        kind: 'audio',
        codec: d.codec as AudioCodec,
        timestamp,
        clockRate: this.options.clockRate,
        payload: assembled.payload,
        sampleRate: this.options.sampleRate ?? this.options.clockRate,
        channels: this.options.channels ?? 2,
      });
      return;
    }
    if (this.waitingForKeyframe) {
      if (!assembled.keyframe) {
        this.drop();
        return;
      }
      this.waitingForKeyframe = false;
    }
    if (assembled.width > 0 && assembled.height > 0) {
      this.width = assembled.width;
      this.height = assembled.height;
    }
    this.stats.frames++;
    if (assembled.keyframe) this.stats.keyframes++;
    this.options.onFrame({
      kind: 'video',
      codec: d.codec as VideoCodec,
      timestamp,
      clockRate: this.options.clockRate,
      payload: assembled.payload,
      keyframe: assembled.keyframe,
      // Delta frames carry the size of the last keyframe that told it.
      width: this.width,
      height: this.height,
    });
  }

  private drop(): void {
    this.payloads.length = 0;
    this.stats.droppedFrames++;
    if (this.depacketizer.needsKeyframeAfterLoss) this.enterWaiting();
  }
}
