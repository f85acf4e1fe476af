import type { AudioFrame } from '../common/media/media-frame.js';
import { asCodecError, constructNative } from './codec-error.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

export type DecodableAudioCodec = 'opus' | 'aac' | 'pcmu' | 'pcma';

export interface AudioDecoderOptions {
  codec: DecodableAudioCodec;
  sampleRate: number;
  channels: number;
  /** AAC AudioSpecificConfig when frames are raw (AudioEncoder.extradata); ADTS needs none. */
  extradata?: Uint8Array;
}

/** Decoded audio: interleaved signed 16-bit samples. */
export interface PcmChunk {
  samples: Int16Array;
  sampleRate: number;
  channels: number;
}

/** Decodes Opus/AAC/G.711 frames to interleaved s16 off the event loop, in order. */
export class AudioDecoder {
  readonly codec: DecodableAudioCodec;
  private readonly raw;
  private readonly queue = new SerialQueue();

  constructor(options: AudioDecoderOptions) {
    this.codec = options.codec;
    this.raw = constructNative(
      `${options.codec} decoder`,
      () => new (nativeAddon().AudioDecoder)({ ...options }),
    );
  }

  decode(frame: Pick<AudioFrame, 'payload'>): Promise<PcmChunk> {
    return this.queue.run(() =>
      asCodecError(`${this.codec} decode`, async () => {
        const pcm = await this.raw.decode(frame.payload);
        return { samples: pcm.samples, sampleRate: pcm.sampleRate, channels: pcm.channels };
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.raw.close();
  }
}
