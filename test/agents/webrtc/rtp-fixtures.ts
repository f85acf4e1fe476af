/**
 * Synthetic encoded frames for the RTP tests and bench: bitstream headers are real enough for
 * the depacketizers (keyframe flags, sizes), the rest is seeded random data.
 */

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random bytes in 1..255: no zero byte, so no accidental Annex-B start code. */
export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 + Math.floor(rand() * 255);
  return out;
}

export class BitWriter {
  private readonly bits: number[] = [];

  write(value: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  ue(value: number): this {
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    this.write(0, len);
    return this.write(v, len + 1);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => {
      if (b) out[i >> 3]! |= 0x80 >> (i & 7);
    });
    return out;
  }

  /** rbsp_trailing_bits then bytes. */
  rbsp(): Uint8Array {
    this.bits.push(1);
    while (this.bits.length % 8) this.bits.push(0);
    return this.bytes();
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface TestFrame {
  payload: Uint8Array;
  keyframe: boolean;
}

export function vp8Frame(rand: () => number, keyframe: boolean, size: number, w = 320, h = 240): TestFrame {
  const head = keyframe
    ? Uint8Array.of(0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, w & 0xff, w >> 8, h & 0xff, h >> 8)
    : Uint8Array.of(0x31, 0x02, 0x00);
  return { payload: concat(head, randomBytes(rand, size)), keyframe };
}

export function vp9Frame(rand: () => number, keyframe: boolean, size: number, w = 320, h = 240): TestFrame {
  const bw = new BitWriter().write(2, 2).write(0, 2).write(0, 1); // marker, profile 0, show_existing 0
  if (keyframe) {
    bw.write(0, 1).write(1, 1).write(0, 1).write(0x498342, 24); // key, show, !error_res, sync
    bw.write(1, 3).write(0, 1); // color space BT.601, studio range
    bw.write(w - 1, 16).write(h - 1, 16);
  } else {
    bw.write(1, 1).write(1, 1).write(0, 1);
  }
  bw.write(1, 1); // keep a set bit so the header byte count is stable
  return { payload: concat(bw.bytes(), randomBytes(rand, size)), keyframe };
}

/** Baseline SPS for the given size (cropping when not a multiple of 16). */
export function h264Sps(w: number, h: number): Uint8Array {
  const wm = Math.ceil(w / 16);
  const hm = Math.ceil(h / 16);
  const bw = new BitWriter().write(66, 8).write(0xc0, 8).write(30, 8).ue(0);
  bw.ue(0)
    .ue(2)
    .ue(1)
    .write(0, 1)
    .ue(wm - 1)
    .ue(hm - 1)
    .write(1, 1)
    .write(1, 1);
  const cropR = (wm * 16 - w) / 2;
  const cropB = (hm * 16 - h) / 2;
  if (cropR || cropB) bw.write(1, 1).ue(0).ue(cropR).ue(0).ue(cropB);
  else bw.write(0, 1);
  bw.write(0, 1); // no VUI
  return concat(Uint8Array.of(0x67), bw.rbsp());
}

const START = Uint8Array.of(0, 0, 0, 1);
export const H264_PPS = Uint8Array.of(0x68, 0xce, 0x38, 0x80);

/** Annex-B access unit: SPS, PPS and IDR slices on keyframes, `slices` non-IDR slices otherwise. */
export function h264Frame(
  rand: () => number,
  keyframe: boolean,
  sliceSizes: number[],
  w = 320,
  h = 240,
): TestFrame {
  const parts: Uint8Array[] = [];
  if (keyframe) parts.push(START, h264Sps(w, h), START, H264_PPS);
  for (const size of sliceSizes) {
    parts.push(START, Uint8Array.of(keyframe ? 0x65 : 0x41), randomBytes(rand, size));
  }
  return { payload: concat(...parts), keyframe };
}

export function opusFrame(rand: () => number, size: number): TestFrame {
  return { payload: concat(Uint8Array.of(0xfc), randomBytes(rand, size - 1)), keyframe: true };
}

function obu(type: number, payload: Uint8Array): Uint8Array {
  const sizeBytes: number[] = [];
  let v = payload.length;
  do {
    sizeBytes.push((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v = Math.floor(v / 128);
  } while (v > 0);
  return concat(Uint8Array.of((type << 3) | 0x02), Uint8Array.from(sizeBytes), payload);
}

export function av1SequenceHeader(w: number, h: number): Uint8Array {
  const bw = new BitWriter().write(0, 3).write(0, 1).write(0, 1); // profile, still, reduced
  bw.write(0, 1).write(0, 1).write(0, 5); // timing info, initial display delay, 1 operating point
  bw.write(0, 12).write(8, 5).write(0, 1); // idc, level 4.0, tier
  bw.write(15, 4)
    .write(15, 4)
    .write(w - 1, 16)
    .write(h - 1, 16);
  bw.write(0x5a, 8); // rest of the header (not parsed)
  return bw.rbsp();
}

/** Temporal unit: TD, sequence header on keyframes, one frame OBU. */
export function av1Frame(rand: () => number, keyframe: boolean, size: number, w = 320, h = 240): TestFrame {
  const parts: Uint8Array[] = [Uint8Array.of(0x12, 0x00)];
  if (keyframe) parts.push(obu(1, av1SequenceHeader(w, h)));
  parts.push(obu(6, randomBytes(rand, size)));
  return { payload: concat(...parts), keyframe };
}

/** Fisher–Yates within windows: packets move at most `window - 1` places. */
export function shuffleWithin<T>(items: T[], window: number, rand: () => number): T[] {
  const out = items.slice();
  for (let start = 0; start < out.length; start += window) {
    const end = Math.min(out.length, start + window);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(rand() * (i - start + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  return out;
}
