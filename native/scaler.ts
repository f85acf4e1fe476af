import { asCodecError, CodecError, constructNative } from './codec-error.js';
import { type I420Image, i420Size } from './i420.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

/** Scales I420 pictures (libswscale, bilinear); keeps its context while sizes stay the same. */
export class Scaler {
  private readonly raw = constructNative('scaler', () => new (nativeAddon().Scaler)());
  private readonly queue = new SerialQueue();

  scale(picture: I420Image, width: number, height: number): Promise<I420Image> {
    if (picture.data.length !== i420Size(picture.width, picture.height)) {
      return Promise.reject(new CodecError('picture data does not match its size'));
    }
    return this.queue.run(() =>
      asCodecError('scale', async () => {
        const data = await this.raw.scale(picture.data, picture.width, picture.height, width, height);
        return { width, height, data };
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.raw.close();
  }
}
