import { RtpParseError } from './rtp-errors.js';

/** MSB-first bit reader for codec headers (SPS, VP9 uncompressed header, AV1 sequence header). */
export class BitReader {
  private pos = 0;
  private readonly bitLength: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start * 8;
    this.bitLength = end * 8;
  }

  get bitsLeft(): number {
    return this.bitLength - this.pos;
  }

  readBit(): number {
    if (this.pos >= this.bitLength) throw new RtpParseError('bitstream header truncated');
    const bit = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return bit;
  }

  /** Up to 32 bits, unsigned. */
  readBits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.readBit();
    return v;
  }

  skipBits(n: number): void {
    if (this.pos + n > this.bitLength) throw new RtpParseError('bitstream header truncated');
    this.pos += n;
  }

  /** Unsigned exp-Golomb (H.264 ue(v)). */
  readUe(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros > 31) throw new RtpParseError('exp-Golomb code too long');
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** Signed exp-Golomb (H.264 se(v)). */
  readSe(): number {
    const k = this.readUe();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** AV1 uvlc(). */
  readUvlc(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros >= 32) return 2 ** 32 - 1;
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }
}
