import { LENGTH_PREFIX_BYTES } from '../media/frame-wire.js';
import { LinkProtocolError } from './link-errors.js';

/**
 * Splits a byte stream into length-prefixed message bodies. Handles prefixes and bodies split
 * across reads and many messages coalesced into one read. A declared length above the limit
 * is rejected as soon as the prefix is read, before any body is buffered.
 */
export class MessageDeframer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the message being assembled, once its prefix is complete. */
  private expected = -1;

  constructor(private maxMessageBytes: number) {}

  setMaxMessageBytes(limit: number): void {
    this.maxMessageBytes = limit;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds one read; returns the bodies completed by it (possibly none), at most maxBodies. */
  push(chunk: Buffer, maxBodies = Number.POSITIVE_INFINITY): Buffer[] {
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    return this.extract(maxBodies);
  }

  /** Bodies already complete in the buffer (after a push stopped at maxBodies). */
  extract(maxBodies = Number.POSITIVE_INFINITY): Buffer[] {
    const bodies: Buffer[] = [];
    while (bodies.length < maxBodies) {
      if (this.expected < 0) {
        if (this.buffered < LENGTH_PREFIX_BYTES) break;
        const length = this.peekLength();
        if (length > this.maxMessageBytes) {
          throw new LinkProtocolError(
            `message of ${length} bytes exceeds the limit of ${this.maxMessageBytes}`,
          );
        }
        if (length < 2) throw new LinkProtocolError(`message of ${length} bytes is too short`);
        this.consume(LENGTH_PREFIX_BYTES);
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      bodies.push(this.consume(this.expected));
      this.expected = -1;
    }
    return bodies;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.byteLength >= LENGTH_PREFIX_BYTES) return first.readUInt32BE(0);
    const head = Buffer.concat(this.chunks, LENGTH_PREFIX_BYTES);
    return head.readUInt32BE(0);
  }

  /** Removes n bytes from the front; a view when they lie in one chunk, a copy otherwise. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.byteLength >= n) {
      const out = first.subarray(0, n);
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const take = Math.min(c.byteLength, n - filled);
      c.copy(out, filled, 0, take);
      filled += take;
      if (take === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    return out;
  }
}
