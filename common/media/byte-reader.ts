import { isUtf8 } from 'node:buffer';
import { WireFormatError } from './wire-format-error.js';

const TWO_POW_32 = 2 ** 32;

/**
 * Bounds-checked big-endian reader over one message body. Every read checks the remaining
 * length first, so malformed input raises WireFormatError instead of reading past the end.
 */
export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private take(n: number, what: string): number {
    if (n > this.remaining) {
      throw new WireFormatError(`truncated ${what}: need ${n} bytes at offset ${this.offset}`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(what: string): number {
    return this.view.getUint8(this.take(1, what));
  }

  u16(what: string): number {
    return this.view.getUint16(this.take(2, what));
  }

  u32(what: string): number {
    return this.view.getUint32(this.take(4, what));
  }

  /** Signed 64-bit, accepted only within Number's safe integer range (no BigInt: hot path). */
  i64(what: string): number {
    const at = this.take(8, what);
    const high = this.view.getInt32(at);
    const low = this.view.getUint32(at + 4);
    // |value| <= 2^53 - 1: the high word lies in [-2^21, 2^21), and -2^21 with a zero low word is -2^53.
    if (high >= 0x200000 || high < -0x200000 || (high === -0x200000 && low === 0)) {
      throw new WireFormatError(`${what} out of safe integer range`);
    }
    return high * TWO_POW_32 + low;
  }

  /** A view into the message (no copy): the message buffer is owned by the reader's caller. */
  bytesView(n: number, what: string): Uint8Array {
    const at = this.take(n, what);
    return this.bytes.subarray(at, at + n);
  }

  /** UTF-8 string prefixed by a u8 (short ids) or u16 (reasons) byte length. */
  string(lengthBytes: 1 | 2, what: string, { allowEmpty = false } = {}): string {
    const n = lengthBytes === 1 ? this.u8(`${what} length`) : this.u16(`${what} length`);
    if (n === 0 && !allowEmpty) throw new WireFormatError(`empty ${what}`);
    const raw = this.bytesView(n, what);
    if (!isUtf8(raw)) throw new WireFormatError(`${what} is not valid UTF-8`);
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  }

  expectEnd(what: string): void {
    if (this.remaining !== 0) {
      throw new WireFormatError(`${this.remaining} trailing bytes after ${what}`);
    }
  }
}
