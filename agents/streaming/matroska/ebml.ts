/**
 * EBML (the binary XML under Matroska/WebM): element ids, variable-length sizes and values.
 * Only what our muxer/demuxer need; see RFC 8794.
 */

/** Size value meaning "unknown" (live streams: the segment and clusters never end). */
export const UNKNOWN_SIZE = -1;

/** Encodes a data size as a vint (1–8 bytes); UNKNOWN_SIZE → the 8-byte all-ones marker. */
export function encodeSize(size: number): Buffer {
  if (size === UNKNOWN_SIZE) return Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  for (let len = 1; len <= 8; len++) {
    // All-ones is reserved for "unknown", hence the -1.
    if (size < 2 ** (7 * len) - 1) {
      const out = Buffer.alloc(len);
      let v = size;
      for (let i = len - 1; i >= 0; i--) {
        out[i] = v % 256;
        v = Math.floor(v / 256);
      }
      out[0]! |= 1 << (8 - len);
      return out;
    }
  }
  throw new RangeError(`EBML size too large: ${size}`);
}

/** Element id bytes (ids keep their marker bit, so they are written as is). */
export function idBytes(id: number): Buffer {
  const len = id > 0xffffff ? 4 : id > 0xffff ? 3 : id > 0xff ? 2 : 1;
  const out = Buffer.alloc(len);
  out.writeUIntBE(id, 0, len);
  return out;
}

export function element(id: number, ...body: Uint8Array[]): Buffer {
  const size = body.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([idBytes(id), encodeSize(size), ...body]);
}

export function uintElement(id: number, value: number): Buffer {
  let len = 1;
  while (len < 8 && value >= 2 ** (8 * len)) len++;
  const body = Buffer.alloc(len);
  let v = value;
  for (let i = len - 1; i >= 0; i--) {
    body[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return element(id, body);
}

export function floatElement(id: number, value: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeDoubleBE(value);
  return element(id, body);
}

export function stringElement(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'utf8'));
}

/** Header of a master element whose size is not known yet (streamed). */
export function openElement(id: number): Buffer {
  return Buffer.concat([idBytes(id), encodeSize(UNKNOWN_SIZE)]);
}

export interface Vint {
  value: number;
  length: number;
  /** All value bits set: "unknown size". */
  unknown: boolean;
}

/**
 * Reads a vint at `offset`; undefined when `buf` ends before it does. `keepMarker` keeps the
 * length marker bit (element ids), otherwise it is masked off (sizes, track numbers).
 */
export function readVint(buf: Uint8Array, offset: number, keepMarker = false): Vint | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset]!;
  if (first === 0) throw new RangeError('invalid EBML vint (longer than 8 bytes)');
  const length = Math.clz32(first) - 23;
  if (offset + length > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const b = buf[offset + i]!;
    if (b !== 0xff) allOnes = false;
    value = value * 256 + b;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

export function readUint(body: Uint8Array): number {
  let v = 0;
  for (const b of body) v = v * 256 + b;
  return v;
}

export function readFloat(body: Uint8Array): number {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length === 4) return view.getFloat32(0);
  if (body.length === 8) return view.getFloat64(0);
  return 0;
}
