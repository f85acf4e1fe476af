import { addRatio, floorEven, parseFraction, scaleRatio, toEven } from './fraction.js';
import type { PixelRect, Region } from './layout-types.js';

/**
 * A region's rectangle on a canvas, edges rounded to even pixels. Edges (not sizes) are
 * rounded, so regions that share an edge in fractions share it in pixels: no gaps, no overlap.
 */
export function regionToPixels(region: Region, canvasWidth: number, canvasHeight: number): PixelRect {
  const left = parseFraction(region.area.left, `region ${region.id} left`);
  const top = parseFraction(region.area.top, `region ${region.id} top`);
  const width = parseFraction(region.area.width, `region ${region.id} width`);
  const height = parseFraction(region.area.height, `region ${region.id} height`);
  const x0 = toEven(scaleRatio(left, canvasWidth));
  const y0 = toEven(scaleRatio(top, canvasHeight));
  const x1 = Math.min(floorEven(canvasWidth), toEven(scaleRatio(addRatio(left, width), canvasWidth)));
  const y1 = Math.min(floorEven(canvasHeight), toEven(scaleRatio(addRatio(top, height), canvasHeight)));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
