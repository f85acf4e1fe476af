import { CodecError } from './codec-error.js';

/**
 * Runs one instance's calls strictly in order. The addon runs each call on libuv's pool, where
 * two calls on one codec could otherwise start in either order.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new CodecError('instance closed'));
    const result = this.tail.then(task);
    // The chain continues whatever this call's outcome; the caller sees the outcome itself.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Refuses new calls; resolves once the pending ones are done (then it is safe to free). */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}
