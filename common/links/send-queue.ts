/**
 * A link's bounded outgoing queue: messages wait here while the transport is over its
 * high-water mark. Control messages (feedback, pings, announcements) go first and are never
 * refused; media frames are admitted by the slow-consumer policy (send-policy.ts).
 */
export interface QueuedMessage {
  chunks: readonly Uint8Array[];
  bytes: number;
  /** Media frames count against the frame limit; control messages do not. */
  isFrame: boolean;
}

/** FIFO with O(1) shift (an index into an array, compacted now and then). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export class SendQueue {
  private readonly control = new Fifo<QueuedMessage>();
  private readonly media = new Fifo<QueuedMessage>();
  private bytes = 0;
  private frames = 0;

  get queuedBytes(): number {
    return this.bytes;
  }

  get queuedFrames(): number {
    return this.frames;
  }

  get isEmpty(): boolean {
    return this.control.length === 0 && this.media.length === 0;
  }

  pushControl(message: QueuedMessage): void {
    this.control.push(message);
    this.account(message, 1);
  }

  /** Media frames, and messages that must stay ordered after them (stream end). */
  pushMedia(message: QueuedMessage): void {
    this.media.push(message);
    this.account(message, 1);
  }

  shift(): QueuedMessage | undefined {
    const message = this.control.shift() ?? this.media.shift();
    if (message) this.account(message, -1);
    return message;
  }

  /** Empties the queue; returns how many frames were discarded. */
  clear(): number {
    const dropped = this.frames;
    this.control.clear();
    this.media.clear();
    this.bytes = 0;
    this.frames = 0;
    return dropped;
  }

  private account(message: QueuedMessage, sign: 1 | -1): void {
    this.bytes += sign * message.bytes;
    if (message.isFrame) this.frames += sign;
  }
}
