import type { VideoFrame } from '../common/media/media-frame.js';
import { asCodecError, CodecError, constructNative } from './codec-error.js';
import { type I420Image, i420Size } from './i420.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

export type EncodableVideoCodec = 'vp8' | 'vp9' | 'h264';

export interface VideoEncoderOptions {
  codec: EncodableVideoCodec;
  /** Even numbers (I420). */
  width: number;
  height: number;
  /** Target bitrate in bits per second. */
  bitrate: number;
  framerate: number;
  /** A keyframe every N frames; 0 = only when asked for. */
  keyframeInterval?: number;
  /** libvpx speed (VP8 0–16, VP9 0–9); higher is faster. Default 8. */
  cpuUsed?: number;
}

/**
 * Real-time encoder (libvpx deadline=realtime, lag 0; libx264 ultrafast/zerolatency, no
 * B-frames). Output frames are MediaFrames in the 90 kHz clock with the keyframe flag set.
 */
export class VideoEncoder {
  readonly options: Readonly<Required<VideoEncoderOptions>>;
  private readonly raw;
  private readonly queue = new SerialQueue();
  private keyframeRequested = false;

  constructor(options: VideoEncoderOptions) {
    this.options = { keyframeInterval: 0, cpuUsed: 8, ...options };
    const o = this.options;
    this.raw = constructNative(`${o.codec} encoder`, () => new (nativeAddon().VideoEncoder)({ ...o }));
  }

  /** The next encoded frame will be a keyframe (a new subscriber, a PLI/FIR). */
  requestKeyframe(): void {
    this.keyframeRequested = true;
  }

  /** Takes effect from the next frame; VP8/VP9 restart with a keyframe to apply it. */
  setBitrate(bitsPerSecond: number): void {
    if (!(bitsPerSecond > 0)) throw new CodecError(`bad bitrate ${bitsPerSecond}`);
    this.raw.setBitrate(bitsPerSecond);
  }

  /**
   * Encodes one picture taken at `timestamp` (90 kHz). The picture's bytes must stay unchanged
   * until the returned Promise settles: the addon reads them in place.
   */
  encode(picture: I420Image, timestamp: number, options: { keyframe?: boolean } = {}): Promise<VideoFrame[]> {
    const { codec, width, height } = this.options;
    if (
      picture.width !== width ||
      picture.height !== height ||
      picture.data.length !== i420Size(width, height)
    ) {
      return Promise.reject(
        new CodecError(`picture is ${picture.width}x${picture.height}, the encoder takes ${width}x${height}`),
      );
    }
    const force = options.keyframe === true || this.keyframeRequested;
    this.keyframeRequested = false;
    return this.queue.run(() =>
      asCodecError(`${codec} encode`, async () => {
        const packets = await this.raw.encode(picture.data, timestamp, force);
        return packets.map(
          (p): VideoFrame => ({
            kind: 'video',
            codec,
            timestamp: p.pts,
            clockRate: 90_000,
            keyframe: p.keyframe,
            width,
            height,
            payload: p.data,
          }),
        );
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.raw.close();
  }
}
