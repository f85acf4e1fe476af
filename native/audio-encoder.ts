import type { AudioFrame } from '../common/media/media-frame.js';
import { asCodecError, CodecError, constructNative } from './codec-error.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

export type EncodableAudioCodec = 'opus' | 'aac' | 'pcmu' | 'pcma';

export interface AudioEncoderOptions {
  codec: EncodableAudioCodec;
  /** Opus: 8000/12000/16000/24000/48000; G.711: 8000 as on the wire. */
  sampleRate: number;
  channels: number;
  bitrate?: number;
}

/**
 * Encodes interleaved s16 audio of any length: samples are buffered into whole codec frames
 * (Opus 20 ms, AAC 1024 samples, G.711 20 ms). Output frames carry timestamps in samples from
 * the start of the stream (Opus and AAC start negative by their encoder delay).
 */
export class AudioEncoder {
  readonly options: Readonly<AudioEncoderOptions>;
  /** Samples per channel in one encoded frame. */
  readonly frameSize: number;
  /** Encoder delay in samples (to trim after decoding). */
  readonly delay: number;
  /** AAC AudioSpecificConfig (empty for the others): what a decoder of raw AAC frames needs. */
  readonly extradata: Uint8Array;
  private readonly raw;
  private readonly queue = new SerialQueue();

  constructor(options: AudioEncoderOptions) {
    this.options = { ...options };
    this.raw = constructNative(
      `${options.codec} encoder`,
      () => new (nativeAddon().AudioEncoder)({ ...options }),
    );
    const info = this.raw.info();
    this.frameSize = info.frameSize;
    this.delay = info.delay;
    this.extradata = info.extradata;
  }

  encode(samples: Int16Array): Promise<AudioFrame[]> {
    const { codec, sampleRate, channels } = this.options;
    if (samples.length % channels !== 0) {
      return Promise.reject(new CodecError('sample count is not a multiple of the channel count'));
    }
    return this.queue.run(() =>
      asCodecError(`${codec} encode`, async () => {
        const packets = await this.raw.encode(samples);
        return packets.map(
          (p): AudioFrame => ({
            kind: 'audio',
            codec,
            timestamp: p.pts,
            clockRate: sampleRate,
            sampleRate,
            channels,
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
