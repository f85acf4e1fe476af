import type { AudioFrame } from '../../common/media/media-frame.js';
import { AudioEncoder, Resampler } from '../../native/index.js';
import type { AudioFormat } from './protocol.js';

/** The RTP clock of a codec at a sample rate: Opus always counts 48 kHz (RFC 7587). */
export function codecClockRate(format: Pick<AudioFormat, 'codec' | 'sampleRate'>): number {
  return format.codec === 'opus' ? 48_000 : format.sampleRate;
}

/**
 * Interleaved s16 in one format → encoded frames of an output format (resampled first when
 * they differ). Timestamps are in the codec's clock, start at 0 and only grow: `skip` moves
 * them forward for audio that was not encoded (dropped ticks, gaps in a transcoded input), as
 * an RTP sender does across silence. Calls complete in call order.
 */
export class PcmEncoder {
  private readonly encoder: AudioEncoder;
  private readonly resampler: Resampler | undefined;
  private readonly clockRate: number;
  /** Added to the encoder's sample counter (its rate): its delay, then skipped audio. */
  private offset: number;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private tail: Promise<unknown> = Promise.resolve();
  private pendingCalls = 0;

  constructor(
    readonly format: AudioFormat,
    input: { sampleRate: number; channels: number },
  ) {
    this.encoder = new AudioEncoder({
      codec: format.codec,
      sampleRate: format.sampleRate,
      channels: format.channels,
    });
    this.offset = this.encoder.delay;
    this.clockRate = codecClockRate(format);
    if (input.sampleRate !== format.sampleRate || input.channels !== format.channels) {
      this.resampler = new Resampler({
        inRate: input.sampleRate,
        inChannels: input.channels,
        outRate: format.sampleRate,
        outChannels: format.channels,
      });
    }
  }

  get pending(): number {
    return this.pendingCalls;
  }

  /** Encodes `samples` (read in place until the Promise settles: do not modify them). */
  encode(samples: Int16Array): Promise<AudioFrame[]> {
    this.pendingCalls++;
    // The offset as of this call: a skip() made later applies to later audio only.
    const offset = this.offset;
    const run = this.tail.then(() => this.run(samples, offset));
    this.tail = run.catch(() => undefined);
    return run.finally(() => this.pendingCalls--);
  }

  /** Leaves a gap of `seconds` in the timestamps of the frames encoded after this call. */
  skip(seconds: number): void {
    if (seconds > 0) this.offset += Math.round(seconds * this.format.sampleRate);
  }

  async close(): Promise<void> {
    await this.tail;
    await Promise.all([this.encoder.close(), this.resampler?.close()]);
  }

  private async run(samples: Int16Array, offset: number): Promise<AudioFrame[]> {
    const input = this.resampler ? await this.resampler.convert(samples) : samples;
    const frames = await this.encoder.encode(input);
    const scale = this.clockRate / this.format.sampleRate;
    for (const frame of frames) {
      let timestamp = Math.round((frame.timestamp + offset) * scale);
      // Strictly increasing, whatever the encoder reports (receivers rely on it).
      if (timestamp <= this.lastTimestamp) timestamp = this.lastTimestamp + 1;
      this.lastTimestamp = timestamp;
      frame.timestamp = timestamp;
      frame.clockRate = this.clockRate;
    }
    return frames;
  }
}
