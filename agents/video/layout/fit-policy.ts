import { floorEven, toEven } from './fraction.js';
import type { FitPolicy, PixelRect } from './layout-types.js';

/** Which part of the input to take (`crop`) and where on the canvas to draw it (`dest`). */
export interface FitResult {
  crop: PixelRect;
  dest: PixelRect;
}

/**
 * Fits a WxH input into a region keeping its aspect ratio. letterbox: the whole input, scaled
 * down or up to fit inside, centred (bars show the background). crop: fills the region, the
 * input's excess cut off evenly on both sides. Every number is even (I420); returns null when
 * nothing visible remains (an input or region under 2x2 pixels).
 */
export function fitInto(
  inputWidth: number,
  inputHeight: number,
  region: PixelRect,
  policy: FitPolicy,
): FitResult | null {
  const srcW = floorEven(inputWidth);
  const srcH = floorEven(inputHeight);
  if (srcW < 2 || srcH < 2 || region.width < 2 || region.height < 2) return null;
  if (policy === 'letterbox') {
    const scale = Math.min(region.width / srcW, region.height / srcH);
    const w = clampEven(srcW * scale, region.width);
    const h = clampEven(srcH * scale, region.height);
    return {
      crop: { x: 0, y: 0, width: srcW, height: srcH },
      dest: {
        x: region.x + floorEven((region.width - w) / 2),
        y: region.y + floorEven((region.height - h) / 2),
        width: w,
        height: h,
      },
    };
  }
  const scale = Math.max(region.width / srcW, region.height / srcH);
  const cw = clampEven(region.width / scale, srcW);
  const ch = clampEven(region.height / scale, srcH);
  return {
    crop: { x: floorEven((srcW - cw) / 2), y: floorEven((srcH - ch) / 2), width: cw, height: ch },
    dest: { ...region },
  };
}

/** Nearest even number in [2, max]. */
function clampEven(value: number, max: number): number {
  return Math.max(2, Math.min(max, toEven(value)));
}
