/**
 * Raw pictures are packed I420: the Y plane (width x height), then U and V
 * (ceil(width/2) x ceil(height/2) each), rows without padding. The addon takes and returns
 * exactly this layout.
 */
export interface I420Image {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface I420Planes {
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  strideY: number;
  strideUV: number;
}

export function i420Size(width: number, height: number): number {
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  return width * height + 2 * cw * ch;
}

export function i420Planes(image: I420Image): I420Planes {
  const { width, height, data } = image;
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const ySize = width * height;
  return {
    y: data.subarray(0, ySize),
    u: data.subarray(ySize, ySize + cw * ch),
    v: data.subarray(ySize + cw * ch, ySize + 2 * cw * ch),
    strideY: width,
    strideUV: cw,
  };
}

/** A picture of one colour (Y, U, V values). */
export function solidI420(width: number, height: number, yuv: readonly [number, number, number]): I420Image {
  const data = new Uint8Array(i420Size(width, height));
  const p = i420Planes({ width, height, data });
  p.y.fill(yuv[0]);
  p.u.fill(yuv[1]);
  p.v.fill(yuv[2]);
  return { width, height, data };
}

/** Peak signal-to-noise ratio of two same-size pictures over all three planes, in dB. */
export function psnrI420(a: I420Image, b: I420Image): number {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) {
    throw new RangeError('pictures differ in size');
  }
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    sum += d * d;
  }
  const mse = sum / a.data.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}
