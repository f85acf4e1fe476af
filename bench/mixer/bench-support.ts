import { type I420Image, i420Size } from '../../native/index.js';

/** A moving checkerboard with noise: costly enough to encode like camera video. */
export function pattern(width: number, height: number, frame: number): I420Image {
  const data = new Uint8Array(i420Size(width, height));
  let s = (frame * 7919 + width) >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const box = ((x + frame * 4) >> 5) % 2 === ((y + frame * 2) >> 5) % 2;
      data[y * width + x] = (box ? 180 : 60) + (s & 15);
    }
  }
  data.fill(128, width * height);
  return { width, height, data };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
