import { NotFoundError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { MediaRouter } from '../../common/media/media-router.js';
import type { VideoOutputSpec } from './protocol.js';
import { type InputPicture, VideoInput, type VideoInputStats } from './video-input.js';
import { type VideoOutputStats, VideoOutputStream } from './video-output-stream.js';

const log = createLogger('video-transcoder');

export interface VideoTranscoderStats {
  transcoderId: string;
  input: string;
  inputStats: VideoInputStats;
  output: VideoOutputStats;
}

/**
 * One router stream re-encoded: decode → fit to the spec's resolution (letterbox) → encode at
 * the spec's codec, bitrate and framerate (frames dropped by timestamp to lower it) →
 * published as router stream `transcoderId`. A picture that arrives while the previous one is
 * still being encoded is dropped (real time). Keyframe requests from subscribers go to the
 * encoder; the input is asked for a keyframe at start and after decode errors.
 */
export class VideoTranscoder {
  private readonly input: VideoInput;
  private readonly output: VideoOutputStream;
  private readonly subscriptionId: string;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private lastInputTimestamp = Number.NEGATIVE_INFINITY;
  /** Added to input timestamps so the output's stay increasing if the input's clock restarts. */
  private offset = 0;
  private stopped: Promise<void> | undefined;

  private constructor(
    readonly transcoderId: string,
    readonly inputStreamId: string,
    readonly spec: VideoOutputSpec,
    private readonly router: MediaRouter,
  ) {
    this.subscriptionId = `${transcoderId}/in`;
    this.input = new VideoInput(transcoderId, (picture) => this.onPicture(picture));
    this.output = new VideoOutputStream(transcoderId, spec);
  }

  /** Subscribes the input and publishes the output; on failure nothing stays behind. */
  static start(
    transcoderId: string,
    inputStreamId: string,
    spec: VideoOutputSpec,
    router: MediaRouter,
  ): VideoTranscoder {
    if (!router.hasStream(inputStreamId))
      throw new NotFoundError(`stream ${inputStreamId} is not on this node`);
    const t = new VideoTranscoder(transcoderId, inputStreamId, spec, router);
    const undo: (() => void)[] = [];
    try {
      router.publish(transcoderId, t.output);
      undo.push(() => router.unpublish(transcoderId));
      router.subscribe(t.subscriptionId, t.input);
      undo.push(() => router.unsubscribe(t.subscriptionId));
      router.linkup(t.subscriptionId, inputStreamId);
    } catch (err) {
      for (const step of undo.reverse()) step();
      void t.output.dispose();
      void t.input.whenClosed();
      throw err;
    }
    t.input.setActive(true);
    return t;
  }

  stats(): VideoTranscoderStats {
    return {
      transcoderId: this.transcoderId,
      input: this.inputStreamId,
      inputStats: this.input.stats(),
      output: this.output.stats(),
    };
  }

  /** Unpublishes the output, releases the input and frees the codecs. */
  stop(): Promise<void> {
    if (!this.stopped) {
      for (const step of [
        () => this.router.unpublish(this.transcoderId),
        () => this.router.unsubscribe(this.subscriptionId),
      ]) {
        try {
          step();
        } catch {
          // Already gone with the router.
        }
      }
      this.stopped = Promise.all([this.output.dispose(), this.input.whenClosed()]).then(() => undefined);
    }
    return this.stopped;
  }

  private onPicture(picture: InputPicture): void {
    // Input timestamps are unwrapped; a source that restarts its clock continues one frame on.
    if (picture.timestamp <= this.lastInputTimestamp) {
      this.offset = this.lastTimestamp + Math.round(90_000 / this.spec.framerate) - picture.timestamp;
    }
    this.lastInputTimestamp = picture.timestamp;
    const timestamp = picture.timestamp + this.offset;
    this.lastTimestamp = timestamp;
    this.output.submit(picture, timestamp).catch((err: unknown) => {
      log.warn({ transcoderId: this.transcoderId, err: (err as Error).message }, 'submit failed');
    });
  }
}
