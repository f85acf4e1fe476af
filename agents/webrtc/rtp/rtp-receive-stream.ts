import type { AudioCodec, MediaFrame, VideoCodec } from '../../../common/media/media-frame.js';
import { createDepacketizer, isRtpCodec, rtpClockRate } from './codecs.js';
import { FrameAssembler, type FrameAssemblerStats } from './frame-assembler.js';
import { NackGenerator, type NackGeneratorOptions } from './nack-generator.js';
import { ReorderBuffer, type ReorderBufferStats } from './reorder-buffer.js';
import { RtpParseError } from './rtp-errors.js';
import type { RtpPacket } from './rtp-packet.js';
import { unwrapRtx } from './rtx.js';

export interface RtpReceiveStreamOptions {
  codec: VideoCodec | AudioCodec;
  ssrc: number;
  clockRate?: number;
  /** RTX stream (RFC 4588) repairing this one. */
  rtx?: { ssrc: number; aptByPayloadType: ReadonlyMap<number, number> };
  /** NACK for gaps (default true for video, false for audio). */
  nack?: boolean | NackGeneratorOptions;
  reorderCapacity?: number;
  /** How long a gap may hold packets back before it is declared lost (ms). */
  maxReorderWaitMs?: number;
  onFrame: (frame: MediaFrame) => void;
  /** Send a PLI/FIR upstream. */
  onKeyframeNeeded?: () => void;
  /** Send a generic NACK for these sequence numbers. */
  onNack?: (sequenceNumbers: number[]) => void;
}

export interface RtpReceiveStreamStats {
  reorder: ReorderBufferStats;
  frames: FrameAssemblerStats;
  rtxRecovered: number;
}

/**
 * One incoming RTP stream, end to end: RTX unwrap → reorder buffer (gaps NACKed) → frame
 * assembler → MediaFrames. Call receive() per packet and poll() from a timer (~10–20 ms).
 */
export class RtpReceiveStream {
  readonly ssrc: number;
  private readonly rtx: RtpReceiveStreamOptions['rtx'];
  private readonly reorder: ReorderBuffer;
  private readonly assembler: FrameAssembler;
  private readonly nack: NackGenerator | undefined;
  private readonly onNack: (seqs: number[]) => void;
  private rtxRecovered = 0;
  /** The caller's clock, as last given to receive()/poll(). */
  private nowMs = 0;

  constructor(options: RtpReceiveStreamOptions) {
    if (!isRtpCodec(options.codec)) throw new RtpParseError(`no RTP support for ${options.codec}`);
    this.ssrc = options.ssrc >>> 0;
    this.rtx = options.rtx;
    const depacketizer = createDepacketizer(options.codec);
    this.assembler = new FrameAssembler({
      depacketizer,
      clockRate: options.clockRate ?? rtpClockRate(options.codec),
      onFrame: options.onFrame,
      onKeyframeNeeded: options.onKeyframeNeeded,
      now: () => this.nowMs,
    });
    const nackOption = options.nack ?? depacketizer.kind === 'video';
    this.nack = nackOption ? new NackGenerator(nackOption === true ? {} : nackOption) : undefined;
    this.onNack = options.onNack ?? (() => {});
    this.reorder = new ReorderBuffer({
      capacity: options.reorderCapacity,
      maxWaitMs: options.maxReorderWaitMs,
      onPacket: (packet) => this.assembler.push(packet),
      onLoss: (first, count) => {
        this.nack?.forgetBefore(first + count);
        this.assembler.markLoss();
      },
      onReset: () => {
        this.nack?.reset();
        this.assembler.reset();
      },
    });
  }

  get stats(): RtpReceiveStreamStats {
    return { reorder: this.reorder.stats, frames: this.assembler.stats, rtxRecovered: this.rtxRecovered };
  }

  get needKeyframe(): boolean {
    return this.assembler.needKeyframe;
  }

  /** True when the packet belongs to this stream or its RTX stream. */
  accepts(packet: RtpPacket): boolean {
    return packet.ssrc === this.ssrc || (this.rtx !== undefined && packet.ssrc === this.rtx.ssrc);
  }

  /** Feeds one packet of this stream (or of its RTX stream); malformed RTX raises RtpParseError. */
  receive(packet: RtpPacket, nowMs: number): void {
    this.nowMs = nowMs;
    let p = packet;
    if (this.rtx && packet.ssrc === this.rtx.ssrc) {
      if (packet.payload.length === 0) return; // padding-only probe on the RTX stream
      p = unwrapRtx(packet, this.ssrc, this.rtx.aptByPayloadType);
      this.rtxRecovered++;
    }
    const ext = this.reorder.insert(p, nowMs);
    if (ext !== undefined) this.nack?.onPacket(ext, nowMs);
  }

  /** Timer work: give up on old gaps, send due NACKs. */
  poll(nowMs: number): void {
    this.nowMs = nowMs;
    this.reorder.poll(nowMs);
    if (this.nack) {
      const due = this.nack.poll(nowMs);
      if (due.length > 0) this.onNack(due);
    }
  }

  setRtt(rttMs: number): void {
    this.nack?.setRtt(rttMs);
  }

  /** Ask upstream for a keyframe (a subscriber joined). */
  requestKeyframe(): void {
    this.assembler.requestKeyframe();
  }
}
