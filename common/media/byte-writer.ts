import { WireFormatError } from './wire-format-error.js';

const utf8 = new TextEncoder();

/** Big-endian writer into a buffer sized up front; encoders compute the exact size first. */
export class ByteWriter {
  private offset = 0;
  readonly buffer: Buffer;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  u8(value: number, what: string): this {
    checkUint(value, 0xff, what);
    this.offset = this.buffer.writeUInt8(value, this.offset);
    return this;
  }

  u16(value: number, what: string): this {
    checkUint(value, 0xffff, what);
    this.offset = this.buffer.writeUInt16BE(value, this.offset);
    return this;
  }

  u32(value: number, what: string): this {
    checkUint(value, 0xffffffff, what);
    this.offset = this.buffer.writeUInt32BE(value, this.offset);
    return this;
  }

  i64(value: number, what: string): this {
    if (!Number.isSafeInteger(value)) throw new WireFormatError(`cannot encode ${what}: not a safe integer`);
    this.offset = this.buffer.writeBigInt64BE(BigInt(value), this.offset);
    return this;
  }

  bytes(value: Uint8Array): this {
    this.buffer.set(value, this.offset);
    this.offset += value.byteLength;
    return this;
  }

  /** Writes a pre-encoded string (see encodeString) with its length prefix. */
  string(encoded: Uint8Array, lengthBytes: 1 | 2, what: string): this {
    if (lengthBytes === 1) this.u8(encoded.byteLength, `${what} length`);
    else this.u16(encoded.byteLength, `${what} length`);
    return this.bytes(encoded);
  }

  /** Bytes written so far; encoders assert it equals the size they computed. */
  get written(): number {
    return this.offset;
  }
}

export function encodeString(value: string, maxBytes: number, what: string, allowEmpty = false): Uint8Array {
  const encoded = utf8.encode(value);
  if (encoded.byteLength > maxBytes) {
    throw new WireFormatError(`cannot encode ${what}: ${encoded.byteLength} bytes exceeds ${maxBytes}`);
  }
  if (encoded.byteLength === 0 && !allowEmpty) throw new WireFormatError(`cannot encode empty ${what}`);
  return encoded;
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireFormatError(`cannot encode ${what}: ${value} is not an integer in 0..${max}`);
  }
}
