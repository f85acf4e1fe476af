import type { OutgoingRtpStream } from './outgoing-rtp-stream.js';

interface FrameJob {
  stream: OutgoingRtpStream;
  payloads: readonly Uint8Array[];
  timestamp: number;
  next: number;
  enqueuedAt: number;
}

export interface FanoutPacerOptions {
  /** Longest stretch of sending before the loop gets a turn (ms). */
  sliceMs?: number;
  /**
   * A frame that waited longer than this before its first packet is dropped (its sequence
   * numbers skipped): an overloaded node then loses frames instead of queueing without bound.
   */
  maxQueueDelayMs?: number;
}

/**
 * Node-wide FIFO of frames to send to subscribers. Sends at once while the current slice of
 * the event loop has time left; past `sliceMs` the rest waits for setImmediate, so that a
 * keyframe × N subscribers does not hold the loop (incoming RTP, RTCP, timers get their turn).
 * One queue for every stream keeps each stream's packets in order.
 */
export class FanoutPacer {
  private readonly sliceMs: number;
  private readonly maxQueueDelayMs: number;
  private queue: (FrameJob | undefined)[] = [];
  private head = 0;
  private inSlice = false;
  private sliceStart = 0;
  private waiting = false;
  /** Slices that ran out of time (a burst was spread over several loop turns). */
  deferredSlices = 0;
  /** Largest queue length seen (frames × subscribers). */
  maxQueued = 0;
  /** Frames dropped for waiting longer than maxQueueDelayMs. */
  framesDropped = 0;
  /** Longest wait of a frame before its first packet went out (ms). */
  maxDelayMs = 0;

  constructor(options: FanoutPacerOptions = {}) {
    this.sliceMs = options.sliceMs ?? 4;
    this.maxQueueDelayMs = options.maxQueueDelayMs ?? 1000;
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  enqueue(stream: OutgoingRtpStream, payloads: readonly Uint8Array[], timestamp: number): void {
    if (payloads.length === 0) return;
    this.queue.push({ stream, payloads, timestamp, next: 0, enqueuedAt: performance.now() });
    const queued = this.queue.length - this.head;
    if (queued > this.maxQueued) this.maxQueued = queued;
    if (!this.waiting) this.drain();
  }

  private readonly endSlice = (): void => {
    this.inSlice = false;
    if (this.waiting) {
      this.waiting = false;
      this.drain();
    }
  };

  private drain(): void {
    if (!this.inSlice) {
      this.inSlice = true;
      this.sliceStart = performance.now();
      setImmediate(this.endSlice);
    }
    let budgetCheck = 0;
    while (this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      const last = job.payloads.length - 1;
      if (job.next === 0) {
        const waited = performance.now() - job.enqueuedAt;
        if (waited > this.maxDelayMs) this.maxDelayMs = waited;
        if (waited > this.maxQueueDelayMs) {
          job.stream.skip(job.payloads.length);
          this.framesDropped++;
          this.advance();
          continue;
        }
      }
      while (job.next <= last) {
        const i = job.next++;
        job.stream.sendPacket(job.payloads[i]!, job.timestamp, i === last);
        if (++budgetCheck === 16) {
          budgetCheck = 0;
          if (performance.now() - this.sliceStart > this.sliceMs) {
            if (job.next > last) this.advance();
            this.waiting = true;
            this.deferredSlices++;
            return;
          }
        }
      }
      this.advance();
    }
  }

  private advance(): void {
    this.queue[this.head] = undefined;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
