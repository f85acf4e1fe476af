import { createLogger } from '../../common/logger.js';
import { GeneratedSource } from './generated-source.js';
import { MIX_CHANNELS, MIX_SAMPLE_RATE, TICK_MS } from './mix-format.js';
import { PcmEncoder } from './pcm-encoder.js';
import type { AudioOutputSpec } from './protocol.js';

const log = createLogger('audio-mixer-output');

/** Ticks an encoder may fall behind before ticks are dropped (its timestamps still advance). */
const MAX_PENDING_ENCODES = 10;

/**
 * One output of a mixer: the mix (or a minus-one mix) of each tick → its encoder → the router
 * stream `streamId`.
 */
export class MixerOutput {
  readonly source: GeneratedSource;
  private readonly encoder: PcmEncoder;
  private closing: Promise<void> | undefined;
  droppedTicks = 0;
  encodeErrors = 0;

  constructor(
    readonly streamId: string,
    readonly spec: AudioOutputSpec,
    onClosed: (output: MixerOutput) => void,
  ) {
    this.encoder = new PcmEncoder(spec, { sampleRate: MIX_SAMPLE_RATE, channels: MIX_CHANNELS });
    this.source = new GeneratedSource('audio-mixer', () => {
      this.closing = this.encoder.close();
      onClosed(this);
    });
  }

  /** Encodes one tick of mix-format audio (read in place: never modified afterwards). */
  push(mix: Int16Array): void {
    if (this.closing) return;
    if (this.encoder.pending >= MAX_PENDING_ENCODES) {
      this.skip(1);
      return;
    }
    this.encoder.encode(mix).then(
      (frames) => {
        for (const frame of frames) this.source.push(frame);
      },
      (err: unknown) => {
        if (this.closing) return;
        if (this.encodeErrors++ % 100 === 0) {
          log.warn({ streamId: this.streamId, err: (err as Error).message }, 'audio encode failed');
        }
      },
    );
  }

  /** Ticks that were not encoded: the timestamps jump over them so the output keeps real time. */
  skip(ticks: number): void {
    this.droppedTicks += ticks;
    this.encoder.skip((ticks * TICK_MS) / 1000);
  }

  /** Resolves once the encoder is freed (after the router unpublished the source). */
  closed(): Promise<void> {
    return this.closing ?? Promise.resolve();
  }
}
