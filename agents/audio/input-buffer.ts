export interface InputBufferOptions {
  /** Interleaved values taken per read (one tick). */
  readSize: number;
  /** Values held before playing starts (and again after an underrun): absorbs arrival jitter. */
  prebuffer: number;
  /** Most values held; beyond it the oldest are dropped down to the prebuffer level. */
  capacity: number;
}

export interface InputBufferStats {
  buffered: number;
  underruns: number;
  droppedSamples: number;
}

/**
 * The arrival (jitter) buffer of one mixer input, in the mix format. Decoded audio is
 * appended as it arrives; the mixer clock reads one tick at a time. It answers silence until
 * `prebuffer` values are in, and again after running dry, so that an input arriving in bursts
 * plays smoothly; an input that delivers faster than real time never grows it past `capacity`:
 * the oldest audio goes.
 */
export class InputBuffer {
  private readonly ring: Int16Array;
  private readAt = 0;
  private length = 0;
  private playing = false;
  private underruns = 0;
  private dropped = 0;
  /** Values (a multiple of the channel count). Raised to the largest chunk seen, so that large frames (60 ms Opus, AAC) do not underrun. */
  private prebuffer: number;

  constructor(private readonly options: InputBufferOptions) {
    this.ring = new Int16Array(options.capacity);
    this.prebuffer = options.prebuffer;
  }

  get buffered(): number {
    return this.length;
  }

  push(samples: Int16Array): void {
    const chunkPrebuffer = samples.length + this.options.readSize;
    if (chunkPrebuffer > this.prebuffer)
      this.prebuffer = Math.min(chunkPrebuffer, (this.options.capacity >> 1) & ~1);
    let input = samples;
    if (input.length > this.ring.length) input = input.subarray(input.length - this.ring.length);
    if (this.length + input.length > this.ring.length) {
      const keep = Math.max(0, Math.min(this.length, this.prebuffer - input.length));
      this.drop(this.length - keep);
    }
    const writeAt = (this.readAt + this.length) % this.ring.length;
    const first = Math.min(input.length, this.ring.length - writeAt);
    this.ring.set(input.subarray(0, first), writeAt);
    if (first < input.length) this.ring.set(input.subarray(first), 0);
    this.length += input.length;
  }

  /**
   * Fills `out` (readSize values) with the next tick, padding with silence. Returns how many
   * values were real audio (0 while prebuffering).
   */
  read(out: Int16Array): number {
    if (!this.playing) {
      if (this.length < this.prebuffer) {
        out.fill(0);
        return 0;
      }
      this.playing = true;
    }
    const n = Math.min(out.length, this.length);
    const first = Math.min(n, this.ring.length - this.readAt);
    out.set(this.ring.subarray(this.readAt, this.readAt + first), 0);
    if (first < n) out.set(this.ring.subarray(0, n - first), first);
    if (n < out.length) {
      out.fill(0, n);
      this.playing = false;
      this.underruns++;
    }
    this.readAt = (this.readAt + n) % this.ring.length;
    this.length -= n;
    return n;
  }

  /** Forgets everything (input relinked to another source): prebuffers again. */
  clear(): void {
    this.readAt = 0;
    this.length = 0;
    this.playing = false;
  }

  stats(): InputBufferStats {
    return { buffered: this.length, underruns: this.underruns, droppedSamples: this.dropped };
  }

  private drop(count: number): void {
    if (count <= 0) return;
    this.readAt = (this.readAt + count) % this.ring.length;
    this.length -= count;
    this.dropped += count;
  }
}
