import { asCodecError, CodecError, constructNative } from './codec-error.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

export interface ResamplerOptions {
  inRate: number;
  inChannels: number;
  outRate: number;
  outChannels: number;
}

/**
 * Converts interleaved s16 between rates and channel counts (libswresample). It keeps filter
 * state between calls, so consecutive chunks of one stream join without seams; the output of
 * one call may be a few samples shorter than rate × input (they come out in the next call).
 */
export class Resampler {
  readonly options: Readonly<ResamplerOptions>;
  private readonly raw;
  private readonly queue = new SerialQueue();

  constructor(options: ResamplerOptions) {
    this.options = { ...options };
    this.raw = constructNative('resampler', () => new (nativeAddon().Resampler)({ ...options }));
  }

  convert(samples: Int16Array): Promise<Int16Array> {
    if (samples.length % this.options.inChannels !== 0) {
      return Promise.reject(new CodecError('sample count is not a multiple of the channel count'));
    }
    return this.queue.run(() => asCodecError('resample', () => this.raw.convert(samples)));
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.raw.close();
  }
}
