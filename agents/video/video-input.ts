import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame, VideoCodec, VideoFrame } from '../../common/media/media-frame.js';
import { type I420Image, VideoDecoder } from '../../native/index.js';
import { KeyframeRequester } from './keyframe-requester.js';

const log = createLogger('video-input');

/** Codecs the native decoder takes. */
const DECODABLE: ReadonlySet<VideoCodec> = new Set(['vp8', 'vp9', 'h264', 'av1']);

/** A decoder this far behind drops frames and resynchronises on the next keyframe. */
const MAX_PENDING_DECODES = 4;

/** A decoded picture of an input, with when its frame arrived (for latency) and a sequence number. */
export interface InputPicture extends I420Image {
  /** The frame's timestamp (90 kHz). */
  timestamp: number;
  /** performance.now() when the frame that produced it arrived. */
  arrivedAt: number;
  /** Increases with every picture of this input. */
  seq: number;
}

export interface VideoInputStats {
  framesReceived: number;
  /** Decode calls made (0 while the input is inactive). */
  framesDecoded: number;
  framesSkipped: number;
  decodeErrors: number;
  keyframeRequests: number;
}

/**
 * The video of one router stream, decoded: a MediaSink that feeds video frames (audio ignored)
 * to a decoder of the frames' codec and keeps the last picture, so that a stalled input keeps
 * showing its last frame. Decodes only while active; on activation, after a decode error or
 * when it falls behind, it waits for a keyframe and asks the producer for one (rate-limited).
 */
export class VideoInput implements MediaSink {
  readonly type = 'video-input';
  private decoder: VideoDecoder | undefined;
  private active = false;
  private waitingForKeyframe = true;
  private pending = 0;
  private seq = 0;
  private picture: InputPicture | undefined;
  private closing: Promise<void> | undefined;
  private readonly closingDecoders = new Set<Promise<void>>();
  private readonly keyframes: KeyframeRequester;
  private readonly counters = { framesReceived: 0, framesDecoded: 0, framesSkipped: 0, decodeErrors: 0 };

  constructor(
    readonly label: string,
    private readonly onPicture?: (picture: InputPicture) => void,
    now: () => number = () => performance.now(),
  ) {
    this.keyframes = new KeyframeRequester(undefined, now);
  }

  /** The last decoded picture (kept while the input stalls). */
  get latest(): InputPicture | undefined {
    return this.picture;
  }

  get isActive(): boolean {
    return this.active;
  }

  stats(): VideoInputStats {
    return { ...this.counters, keyframeRequests: this.keyframes.requests };
  }

  /** Starts or stops decoding; starting asks for a keyframe at once. */
  setActive(active: boolean): void {
    if (active === this.active || this.closing) return;
    this.active = active;
    if (active) {
      this.waitingForKeyframe = true;
      this.keyframes.request({ force: true });
    }
  }

  onLinkup(_streamId: string, feedback: (feedback: MediaFeedback) => void): void {
    this.keyframes.attach(feedback);
    this.waitingForKeyframe = true;
  }

  onCutoff(): void {
    this.keyframes.attach(undefined);
  }

  onFrame(frame: MediaFrame): void {
    if (frame.kind !== 'video' || this.closing) return;
    this.counters.framesReceived++;
    if (!this.active) return;
    if (!DECODABLE.has(frame.codec)) {
      this.skip();
      return;
    }
    if (this.decoder?.codec !== frame.codec) this.replaceDecoder(frame.codec);
    if (this.waitingForKeyframe && !frame.keyframe) {
      this.skip(true);
      return;
    }
    if (this.pending >= MAX_PENDING_DECODES) {
      // Behind real time: drop until the next keyframe rather than queue up latency.
      this.waitingForKeyframe = true;
      this.skip(true);
      return;
    }
    this.waitingForKeyframe = false;
    this.decode(this.decoder!, frame);
  }

  /** Stops decoding and frees the decoder; `whenClosed` resolves once it is freed. */
  close(): void {
    if (this.closing) return;
    this.active = false;
    this.keyframes.attach(undefined);
    const decoder = this.decoder;
    this.decoder = undefined;
    this.closing = Promise.all([decoder?.close().catch(() => undefined), ...this.closingDecoders]).then(
      () => undefined,
    );
  }

  whenClosed(): Promise<void> {
    this.close();
    return this.closing!;
  }

  private decode(decoder: VideoDecoder, frame: VideoFrame): void {
    const arrivedAt = performance.now();
    this.pending++;
    this.counters.framesDecoded++;
    decoder
      .decode(frame)
      .then((pictures) => {
        const last = pictures[pictures.length - 1];
        if (!last || decoder !== this.decoder) return;
        const picture: InputPicture = { ...last, arrivedAt, seq: ++this.seq };
        this.picture = picture;
        this.onPicture?.(picture);
      })
      .catch((err: unknown) => {
        if (decoder !== this.decoder) return;
        // The decoder reset itself: nothing decodes until the next keyframe.
        this.counters.decodeErrors++;
        this.waitingForKeyframe = true;
        this.keyframes.request();
        log.debug({ input: this.label, err: (err as Error).message }, 'decode failed');
      })
      .finally(() => {
        this.pending--;
      });
  }

  private skip(wantKeyframe = false): void {
    this.counters.framesSkipped++;
    if (wantKeyframe) this.keyframes.request();
  }

  private replaceDecoder(codec: VideoCodec): void {
    const old = this.decoder;
    if (old) {
      const closed = old.close().catch(() => undefined);
      this.closingDecoders.add(closed);
      void closed.then(() => this.closingDecoders.delete(closed));
    }
    this.decoder = new VideoDecoder(codec);
    this.waitingForKeyframe = true;
    log.debug({ input: this.label, codec }, 'decoder for codec');
  }
}
