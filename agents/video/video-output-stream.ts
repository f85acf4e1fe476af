import { createLogger } from '../../common/logger.js';
import type { MediaSource } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { type I420Image, VideoEncoder } from '../../native/index.js';
import { BitrateGovernor } from './bitrate-governor.js';
import { FrameRateDecimator } from './frame-rate-decimator.js';
import { PictureFitter } from './picture-fitter.js';
import type { VideoOutputSpec } from './protocol.js';

const log = createLogger('video-output');

export interface VideoOutputStats {
  streamId: string;
  /** Encoded frames delivered. */
  frames: number;
  keyframes: number;
  /** Pictures offered while the previous one was still being encoded (dropped). */
  droppedBusy: number;
  encodeErrors: number;
  bitrateBps: number;
}

/** What submit() did with a picture. */
export type SubmitResult = 'encoded' | 'rate-skipped' | 'busy' | 'closed' | 'failed';

/**
 * One encoded output stream of a mixer or transcoder, published on the node's router: a
 * MediaSource fed with pictures (scaled to the spec's size if needed, letterboxed), encoded with
 * its own encoder at the spec's codec, bitrate, framerate and keyframe interval. Feedback from
 * its subscribers: keyframe requests go to the encoder; target bitrates through a governor.
 */
export class VideoOutputStream implements MediaSource {
  readonly type = 'video-output';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private readonly encoder: VideoEncoder;
  private readonly fitter: PictureFitter;
  private readonly decimator: FrameRateDecimator;
  private readonly governor: BitrateGovernor;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private encoding = false;
  private closed = false;
  private disposed: Promise<void> | undefined;
  private readonly counters = { frames: 0, keyframes: 0, droppedBusy: 0, encodeErrors: 0 };

  constructor(
    readonly streamId: string,
    readonly spec: VideoOutputSpec,
  ) {
    const { width, height } = spec.resolution;
    this.encoder = new VideoEncoder({
      codec: spec.codec,
      width,
      height,
      bitrate: spec.bitrate * 1000,
      framerate: spec.framerate,
      keyframeInterval: Math.round(spec.keyFrameInterval * spec.framerate),
    });
    this.fitter = new PictureFitter(width, height);
    this.decimator = new FrameRateDecimator(spec.framerate);
    this.governor = new BitrateGovernor({ targetBps: spec.bitrate * 1000 });
  }

  stats(): VideoOutputStats {
    return { streamId: this.streamId, ...this.counters, bitrateBps: this.governor.bitrate };
  }

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
  }

  onFeedback(feedback: MediaFeedback): void {
    if (this.closed) return;
    if (feedback.type === 'keyframe-request') {
      this.encoder.requestKeyframe();
      return;
    }
    const bps = this.governor.propose(feedback.bps);
    if (bps !== undefined) {
      this.encoder.setBitrate(bps);
      log.debug({ streamId: this.streamId, bps }, 'bitrate changed');
    }
  }

  /**
   * Encodes a picture taken at `timestamp` (90 kHz, increasing) unless the output's framerate
   * says to skip it or the previous picture is still being encoded. The picture must stay
   * unchanged until the Promise settles.
   */
  async submit(picture: I420Image, timestamp: number): Promise<SubmitResult> {
    if (this.closed) return 'closed';
    if (timestamp <= this.lastTimestamp) return 'rate-skipped';
    if (this.encoding) {
      this.counters.droppedBusy++;
      return 'busy';
    }
    if (!this.decimator.keep(timestamp)) return 'rate-skipped';
    this.encoding = true;
    this.lastTimestamp = timestamp;
    try {
      const fitted = await this.fitter.fit(picture);
      const frames = await this.encoder.encode(fitted, timestamp);
      for (const frame of frames) {
        if (this.closed) break;
        this.counters.frames++;
        if (frame.keyframe) this.counters.keyframes++;
        this.deliver?.(frame);
      }
      return 'encoded';
    } catch (err) {
      if (this.closed) return 'closed';
      this.counters.encodeErrors++;
      log.warn({ streamId: this.streamId, err: (err as Error).message }, 'encode failed');
      return 'failed';
    } finally {
      this.encoding = false;
    }
  }

  /** MediaSource close (the router unpublished it): no more frames; codecs freed by dispose(). */
  close(): void {
    this.closed = true;
    this.deliver = undefined;
  }

  /** Closes and frees the encoder and scaler (waits for a frame in progress). */
  dispose(): Promise<void> {
    this.close();
    this.disposed ??= Promise.all([this.encoder.close(), this.fitter.close()]).then(
      () => undefined,
      (err: unknown) => log.warn({ streamId: this.streamId, err: (err as Error).message }, 'close failed'),
    );
    return this.disposed;
  }
}
