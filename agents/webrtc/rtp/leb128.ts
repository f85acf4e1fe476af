import { RtpParseError } from './rtp-errors.js';

/** Unsigned LEB128 as used by AV1 (≤ 8 bytes, value < 2^32). */

export interface Leb128 {
  value: number;
  /** Bytes the encoding took. */
  size: number;
}

export function readLeb128(buf: Uint8Array, offset: number): Leb128 {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (offset + i >= buf.length) throw new RtpParseError('leb128 truncated');
    const b = buf[offset + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) {
      if (value > 0xffffffff) throw new RtpParseError('leb128 value too large');
      return { value, size: i + 1 };
    }
  }
  throw new RtpParseError('leb128 longer than 8 bytes');
}

export function leb128Size(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) n++;
  return n;
}

/** Writes the minimal encoding at `offset`; returns bytes written. */
export function writeLeb128(buf: Uint8Array, offset: number, value: number): number {
  let v = value;
  let o = offset;
  while (v >= 0x80) {
    buf[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[o++] = v;
  return o - offset;
}

export function encodeLeb128(value: number): Uint8Array {
  const out = new Uint8Array(leb128Size(value));
  writeLeb128(out, 0, value);
  return out;
}
