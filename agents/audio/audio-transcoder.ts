import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import type { MediaRouter } from '../../common/media/media-router.js';
import { FrameToPcm } from './frame-to-pcm.js';
import { GeneratedSource } from './generated-source.js';
import { PcmEncoder } from './pcm-encoder.js';
import type { AudioFormat } from './protocol.js';

const log = createLogger('audio-transcoder');

/** Frames waiting for decode/encode beyond this are dropped (the node cannot keep up). */
const MAX_PENDING = 25;
/** A forward jump of the input's timestamps beyond this is a gap (DTX, loss), not jitter. */
const GAP_TOLERANCE_S = 0.005;
/** Larger jumps (either way) are a new timeline (source switched): no gap is carried over. */
const MAX_GAP_S = 10;

export interface AudioTranscoderStats {
  transcoderId: string;
  input: string;
  frames: number;
  droppedFrames: number;
  errors: number;
}

/**
 * One router stream's audio → decode → resample → encode in another format → the router
 * stream `transcoderId`. Output timestamps follow the input's: a gap in the input (DTX, lost
 * frames) is a gap in the output too, so A/V sync survives.
 */
export class AudioTranscoder {
  private readonly source: GeneratedSource;
  private readonly sink: MediaSink;
  private readonly decoder: FrameToPcm;
  private readonly encoder: PcmEncoder;
  /** The last input frame's time and the shortest step between frames (= frame duration). */
  private lastAt: number | undefined;
  private frameDuration: number | undefined;
  private droppedFrames = 0;
  private errors = 0;
  private closing: Promise<void> | undefined;
  private published = false;
  private subscribed = false;

  constructor(
    readonly transcoderId: string,
    readonly inputStreamId: string,
    readonly format: AudioFormat,
    private readonly router: MediaRouter,
  ) {
    this.encoder = new PcmEncoder(format, format);
    this.decoder = new FrameToPcm({ sampleRate: format.sampleRate, channels: format.channels });
    this.source = new GeneratedSource('audio-transcoder', () => this.stop());
    this.sink = {
      type: 'audio-transcoder',
      onLinkup: () => {},
      onCutoff: () => {
        this.lastAt = undefined;
      },
      onFrame: (frame) => this.onFrame(frame),
      close: () => this.stop(),
    };
  }

  /** Publishes the output and links the input; on failure nothing of it stays behind. */
  start(): void {
    const subscriptionId = transcoderSubscriptionId(this.transcoderId);
    this.router.publish(this.transcoderId, this.source);
    this.published = true;
    try {
      this.router.subscribe(subscriptionId, this.sink);
      this.subscribed = true;
      this.router.linkup(subscriptionId, this.inputStreamId);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Unlinks, unpublishes and frees the codecs. */
  async close(): Promise<void> {
    this.release();
    await this.stop();
  }

  stats(): AudioTranscoderStats {
    return {
      transcoderId: this.transcoderId,
      input: this.inputStreamId,
      frames: this.source.frames,
      droppedFrames: this.droppedFrames,
      errors: this.errors,
    };
  }

  /** Undoes what start() did, and only that (the ids may belong to others if it failed). */
  private release(): void {
    if (this.subscribed) {
      this.subscribed = false;
      const id = transcoderSubscriptionId(this.transcoderId);
      // It may have been unsubscribed through the media primitives already.
      if (this.router.subscriptionList().some((s) => s.subscriptionId === id)) this.router.unsubscribe(id);
    }
    if (this.published) {
      this.published = false;
      if (this.router.hasStream(this.transcoderId)) this.router.unpublish(this.transcoderId);
    }
  }

  private stop(): Promise<void> {
    this.closing ??= Promise.all([this.decoder.close(), this.encoder.close()]).then(() => undefined);
    return this.closing;
  }

  private onFrame(frame: MediaFrame): void {
    if (frame.kind !== 'audio' || this.closing) return;
    if (this.decoder.pending + this.encoder.pending >= MAX_PENDING) {
      this.droppedFrames++;
      return;
    }
    const at = frame.timestamp / frame.clockRate;
    this.decoder
      .convert(frame)
      .then((pcm) => {
        this.followTimeline(at);
        return pcm.length > 0 ? this.encoder.encode(pcm) : [];
      })
      .then(
        (frames) => {
          for (const out of frames) this.source.push(out);
        },
        (err: unknown) => {
          if (this.closing) return;
          if (this.errors++ % 100 === 0) {
            log.warn({ transcoderId: this.transcoderId, err: (err as Error).message }, 'transcoding failed');
          }
        },
      );
  }

  /** Carries a forward jump of the input's timestamps (missing frames) over to the output's. */
  private followTimeline(at: number): void {
    const step = this.lastAt === undefined ? undefined : at - this.lastAt;
    this.lastAt = at;
    if (step === undefined || step <= 0 || step >= MAX_GAP_S) return;
    this.frameDuration = Math.min(this.frameDuration ?? step, step);
    const gap = step - this.frameDuration;
    if (gap > Math.max(GAP_TOLERANCE_S, this.frameDuration / 2)) this.encoder.skip(gap);
  }
}

export function transcoderSubscriptionId(transcoderId: string): string {
  return `${transcoderId}/in`;
}
