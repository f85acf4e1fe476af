import type { AudioFrame } from '../../common/media/media-frame.js';
import { CodecError } from '../../native/codec-error.js';
import { AudioDecoder, type DecodableAudioCodec, Resampler } from '../../native/index.js';

export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

const DECODABLE: ReadonlySet<string> = new Set<DecodableAudioCodec>(['opus', 'aac', 'pcmu', 'pcma']);

/**
 * Encoded audio frames of one stream → interleaved s16 in a fixed target format. The decoder
 * is made from the first frame's codec, rate and channels (and made again if they change);
 * a resampler is added when the decoded audio is not in the target format. Calls complete in
 * call order.
 */
export class FrameToPcm {
  private decoder: AudioDecoder | undefined;
  private decoderKey = '';
  private resampler: Resampler | undefined;
  private resamplerKey = '';
  private tail: Promise<unknown> = Promise.resolve();
  private pendingCalls = 0;
  private closed = false;

  constructor(readonly target: PcmFormat) {}

  /** Conversions queued and not finished yet (for back-pressure). */
  get pending(): number {
    return this.pendingCalls;
  }

  convert(frame: AudioFrame): Promise<Int16Array> {
    this.pendingCalls++;
    const run = this.tail.then(() => this.run(frame));
    this.tail = run.catch(() => undefined);
    return run.finally(() => this.pendingCalls--);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    await Promise.all([this.decoder?.close(), this.resampler?.close()]);
    this.decoder = undefined;
    this.resampler = undefined;
  }

  private async run(frame: AudioFrame): Promise<Int16Array> {
    if (this.closed) throw new CodecError('audio converter closed');
    const decoder = await this.decoderFor(frame);
    const pcm = await decoder.decode(frame);
    if (pcm.samples.length === 0) return pcm.samples;
    if (pcm.sampleRate === this.target.sampleRate && pcm.channels === this.target.channels)
      return pcm.samples;
    const resampler = await this.resamplerFor(pcm.sampleRate, pcm.channels);
    return await resampler.convert(pcm.samples);
  }

  private async decoderFor(frame: AudioFrame): Promise<AudioDecoder> {
    if (!DECODABLE.has(frame.codec)) throw new CodecError(`cannot decode ${frame.codec}`);
    const key = `${frame.codec}/${frame.sampleRate}/${frame.channels}`;
    if (this.decoder && key === this.decoderKey) return this.decoder;
    const old = this.decoder;
    this.decoder = undefined;
    await old?.close();
    this.decoder = new AudioDecoder({
      codec: frame.codec as DecodableAudioCodec,
      sampleRate: frame.sampleRate,
      channels: frame.channels,
    });
    this.decoderKey = key;
    return this.decoder;
  }

  private async resamplerFor(inRate: number, inChannels: number): Promise<Resampler> {
    const key = `${inRate}/${inChannels}`;
    if (this.resampler && key === this.resamplerKey) return this.resampler;
    const old = this.resampler;
    this.resampler = undefined;
    await old?.close();
    this.resampler = new Resampler({
      inRate,
      inChannels,
      outRate: this.target.sampleRate,
      outChannels: this.target.channels,
    });
    this.resamplerKey = key;
    return this.resampler;
  }
}
