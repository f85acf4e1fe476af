import type { Leadership } from './rpc-bus.js';

/** A request for a named leadership: `granted` resolves when it is this requester's turn. */
export interface LeadershipTicket {
  readonly granted: Promise<Leadership>;
  /** Stop waiting, or release if already granted. */
  cancel(): void;
}

interface Entry {
  granted: boolean;
  resolve: (leadership: Leadership) => void;
  reject: (err: Error) => void;
  markLost: () => void;
  leadership: Leadership;
}

/**
 * In-process leadership: one holder per name, the others queue in request order and the
 * next one takes over when the holder releases.
 */
export class LeadershipArbiter {
  private readonly queues = new Map<string, Entry[]>();

  request(name: string): LeadershipTicket {
    let resolve!: (leadership: Leadership) => void;
    let reject!: (err: Error) => void;
    const granted = new Promise<Leadership>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A waiter that is cancelled or closed never reads `granted`; avoid unhandled rejections.
    granted.catch(() => {});
    let markLost!: () => void;
    const lost = new Promise<void>((res) => {
      markLost = res;
    });
    const entry: Entry = {
      granted: false,
      resolve,
      reject,
      markLost,
      leadership: {
        lost,
        release: async () => this.remove(name, entry),
      },
    };
    const queue = this.queues.get(name) ?? [];
    queue.push(entry);
    this.queues.set(name, queue);
    if (queue.length === 1) this.grant(entry);
    return { granted, cancel: () => this.remove(name, entry) };
  }

  /** Bus closing: holders lose, waiters fail with `makeError`. */
  closeAll(makeError: (name: string) => Error): void {
    for (const [name, queue] of this.queues) {
      for (const entry of queue) {
        if (entry.granted) entry.markLost();
        else entry.reject(makeError(name));
      }
    }
    this.queues.clear();
  }

  private grant(entry: Entry): void {
    entry.granted = true;
    entry.resolve(entry.leadership);
  }

  private remove(name: string, entry: Entry): void {
    const queue = this.queues.get(name);
    const index = queue ? queue.indexOf(entry) : -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    if (entry.granted) entry.markLost();
    if (queue.length === 0) {
      this.queues.delete(name);
      return;
    }
    if (index === 0) this.grant(queue[0]);
  }
}
