import type { MediaSource } from './media-endpoint.js';
import type { MediaFeedback } from './media-feedback.js';
import type { AudioCodec, MediaFrame, VideoCodec } from './media-frame.js';

export interface FrameGeneratorOptions {
  kind?: 'audio' | 'video';
  videoCodec?: VideoCodec;
  audioCodec?: AudioCodec;
  /** Frames per second when running on its own timer; 0: frames only on next(). */
  fps?: number;
  /** A keyframe every this many video frames (and whenever one is requested). */
  keyframeInterval?: number;
  payloadBytes?: number;
  width?: number;
  height?: number;
}

/**
 * A local source of synthetic frames, for tests, benchmarks and health checks. Payloads
 * start with the frame's sequence number (u32 BE) so receivers can check order and loss;
 * a keyframe request makes the next video frame a keyframe.
 */
export class FrameGeneratorSource implements MediaSource {
  readonly type = 'generator';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private keyframePending = true;
  private readonly opts: Required<FrameGeneratorOptions>;
  keyframeRequests = 0;
  readonly bitrateRequests: number[] = [];

  constructor(options: FrameGeneratorOptions = {}) {
    this.opts = {
      kind: options.kind ?? 'video',
      videoCodec: options.videoCodec ?? 'vp8',
      audioCodec: options.audioCodec ?? 'opus',
      fps: options.fps ?? 0,
      keyframeInterval: options.keyframeInterval ?? 30,
      payloadBytes: Math.max(4, options.payloadBytes ?? 1200),
      width: options.width ?? 640,
      height: options.height ?? 360,
    };
  }

  get framesGenerated(): number {
    return this.seq;
  }

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
    if (this.opts.fps > 0) {
      this.timer = setInterval(() => this.next(), 1000 / this.opts.fps);
      this.timer.unref();
    }
  }

  /** Makes the next frame now and delivers it (if started); returns it. */
  next(options: { keyframe?: boolean } = {}): MediaFrame {
    const seq = this.seq++;
    const payload = Buffer.alloc(this.opts.payloadBytes, seq & 0xff);
    payload.writeUInt32BE(seq >>> 0, 0);
    let frame: MediaFrame;
    if (this.opts.kind === 'video') {
      const keyframe = options.keyframe ?? (this.keyframePending || seq % this.opts.keyframeInterval === 0);
      if (keyframe) this.keyframePending = false;
      frame = {
        kind: 'video',
        codec: this.opts.videoCodec,
        keyframe,
        timestamp: seq * 3000,
        clockRate: 90_000,
        width: keyframe ? this.opts.width : 0,
        height: keyframe ? this.opts.height : 0,
        payload,
      };
    } else {
      frame = {
        kind: 'audio',
        codec: this.opts.audioCodec,
        timestamp: seq * 960,
        clockRate: 48_000,
        sampleRate: 48_000,
        channels: 2,
        payload,
      };
    }
    this.deliver?.(frame);
    return frame;
  }

  onFeedback(feedback: MediaFeedback): void {
    if (feedback.type === 'keyframe-request') {
      this.keyframeRequests++;
      this.keyframePending = true;
    } else {
      this.bitrateRequests.push(feedback.bps);
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.deliver = undefined;
  }
}

/** Reads the sequence number a FrameGeneratorSource wrote into a payload. */
export function generatedSequence(frame: MediaFrame): number {
  return Buffer.from(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength).readUInt32BE(
    0,
  );
}
