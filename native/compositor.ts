import { asCodecError, constructNative } from './codec-error.js';
import type { I420Image } from './i420.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

/** A rectangle in pixels; x, y, width and height even (I420 chroma is subsampled by 2). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One input drawn onto the canvas: its `crop` part scaled into `dest`. */
export interface CompositorLayer {
  image: I420Image;
  crop: PixelRect;
  dest: PixelRect;
}

export interface CanvasSpec {
  width: number;
  height: number;
  /** Y, U, V of the background (the layout engine's rgbToYuv converts OWT's bgColor). */
  background: readonly [number, number, number];
}

/**
 * Draws layers onto a fresh canvas in one native call per output frame (C++: the per-pixel
 * work in TS measured several times slower, see docs/native.md). Layers are drawn in order,
 * later ones on top. Scaling contexts are cached per layer index.
 */
export class Compositor {
  private readonly raw = constructNative('compositor', () => new (nativeAddon().Compositor)());
  private readonly queue = new SerialQueue();

  compose(canvas: CanvasSpec, layers: readonly CompositorLayer[]): Promise<I420Image> {
    const background: [number, number, number] = [
      canvas.background[0],
      canvas.background[1],
      canvas.background[2],
    ];
    return this.queue.run(() =>
      asCodecError('compose', async () => {
        const data = await this.raw.compose(
          { width: canvas.width, height: canvas.height, background },
          layers.map((l) => ({
            data: l.image.data,
            width: l.image.width,
            height: l.image.height,
            crop: l.crop,
            dest: l.dest,
          })),
        );
        return { width: canvas.width, height: canvas.height, data };
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.raw.close();
  }
}
