import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { DEFAULT_LEVEL_SMOOTHING, SILENCE_DBOV, SmoothedLevel } from './audio-level.js';
import { FrameToPcm } from './frame-to-pcm.js';
import { InputBuffer } from './input-buffer.js';
import { MIX_CHANNELS, MIX_SAMPLE_RATE, mixSamplesFor, TICK_MS, TICK_SAMPLES } from './mix-format.js';

const log = createLogger('audio-mixer-input');

/** Jitter absorbed before an input plays (and again after it ran dry). */
const PREBUFFER_MS = 40;
/** Most audio an input may hold: a faster sender loses its oldest audio beyond this. */
const CAPACITY_MS = 200;
/** Frames waiting for the decoder beyond this are dropped (a decoder that cannot keep up). */
const MAX_PENDING_DECODES = 25;

export interface MixerInputStats {
  frames: number;
  decodeErrors: number;
  droppedFrames: number;
  underruns: number;
  droppedSamples: number;
}

/**
 * One input of a mixer: the sink subscribed to a router stream. Its audio frames (video ones
 * are ignored) are decoded to the mix format into an arrival buffer while `decoding` is on;
 * the mixer clock reads one tick at a time.
 */
export class MixerInput implements MediaSink {
  readonly type = 'audio-mixer';
  readonly buffer = new InputBuffer({
    readSize: TICK_SAMPLES,
    prebuffer: mixSamplesFor(PREBUFFER_MS),
    capacity: mixSamplesFor(CAPACITY_MS),
  });
  /** This tick's audio, as read by the mixer. */
  readonly tick = new Int16Array(TICK_SAMPLES);
  /** Real (not padded) values in `tick`. */
  tickLength = 0;
  readonly level = new SmoothedLevel({ tickMs: TICK_MS, ...DEFAULT_LEVEL_SMOOTHING });
  private converter: FrameToPcm | undefined;
  private decodingOn = false;
  private closing: Promise<void> | undefined;
  private counters = { frames: 0, decodeErrors: 0, droppedFrames: 0 };

  constructor(
    readonly streamId: string,
    readonly owner: string,
    private readonly onClosed: (input: MixerInput) => void,
  ) {}

  get decoding(): boolean {
    return this.decodingOn;
  }

  /** Off: frames are dropped unread and the buffer emptied (no output needs this input). */
  setDecoding(on: boolean): void {
    if (on === this.decodingOn) return;
    this.decodingOn = on;
    if (!on) {
      this.buffer.clear();
      this.level.update(SILENCE_DBOV);
    }
  }

  /** Reads the next tick into `tick` (silence-padded) and sets `tickLength`. */
  readTick(): void {
    this.tickLength = this.buffer.read(this.tick);
  }

  onLinkup(): void {}

  onCutoff(): void {
    this.buffer.clear();
  }

  onFrame(frame: MediaFrame): void {
    if (frame.kind !== 'audio' || !this.decodingOn || this.closing) return;
    this.counters.frames++;
    this.converter ??= new FrameToPcm({ sampleRate: MIX_SAMPLE_RATE, channels: MIX_CHANNELS });
    if (this.converter.pending >= MAX_PENDING_DECODES) {
      this.counters.droppedFrames++;
      return;
    }
    this.converter.convert(frame).then(
      (pcm) => {
        if (this.decodingOn && !this.closing && pcm.length > 0) this.buffer.push(pcm);
      },
      (err: unknown) => {
        // Frames still queued when the input closes meet a closed converter: not an error.
        if (this.closing) return;
        // A damaged frame costs its 20 ms; log the first and then every hundredth.
        if (this.counters.decodeErrors++ % 100 === 0) {
          log.warn({ streamId: this.streamId, err: (err as Error).message }, 'audio decode failed');
        }
      },
    );
  }

  close(): void {
    if (this.closing) return;
    this.decodingOn = false;
    this.closing = this.converter?.close() ?? Promise.resolve();
    this.onClosed(this);
  }

  /** Resolves once the codecs are freed (after close()). */
  closed(): Promise<void> {
    return this.closing ?? Promise.resolve();
  }

  stats(): MixerInputStats {
    const buffer = this.buffer.stats();
    return { ...this.counters, underruns: buffer.underruns, droppedSamples: buffer.droppedSamples };
  }
}
