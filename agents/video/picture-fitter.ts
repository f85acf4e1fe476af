import { Compositor, type I420Image, solidI420 } from '../../native/index.js';
import type { FitPolicy } from './layout/index.js';
import { fitInto } from './layout/index.js';

/** Y, U, V of black (BT.601 limited range): the bars of a letterboxed picture. */
export const BLACK_YUV: readonly [number, number, number] = [16, 128, 128];

/**
 * Brings pictures to one size, keeping their aspect ratio (letterbox bars or crop), in one
 * native call (libswscale). Pictures already at the size pass through untouched.
 */
export class PictureFitter {
  private readonly compositor = new Compositor();

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly policy: FitPolicy = 'letterbox',
    private readonly background: readonly [number, number, number] = BLACK_YUV,
  ) {}

  async fit(picture: I420Image): Promise<I420Image> {
    if (picture.width === this.width && picture.height === this.height) return picture;
    const canvas = { width: this.width, height: this.height, background: this.background };
    const fit = fitInto(picture.width, picture.height, { x: 0, y: 0, ...canvas }, this.policy);
    if (!fit) return solidI420(this.width, this.height, this.background);
    return await this.compositor.compose(canvas, [{ image: picture, crop: fit.crop, dest: fit.dest }]);
  }

  close(): Promise<void> {
    return this.compositor.close();
  }
}
