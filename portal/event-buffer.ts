import type { PortalEvent } from './protocol.js';

export interface BufferedEvent {
  event: PortalEvent | 'drop';
  data: unknown;
  seq: number;
}

interface Entry extends BufferedEvent {
  at: number;
}

/**
 * Events sent to one participant, kept for replay on relogin: while connected, those of the
 * last `windowMs` (a dead socket is noticed only after pingInterval + pingTimeout, so events
 * "sent" in that window may be lost); while disconnected, all of them up to `max`.
 */
export class EventBuffer {
  private entries: Entry[] = [];
  private nextSeq = 0;
  private overflowed = false;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True once events had to be discarded while disconnected: a replay would be incomplete. */
  get lost(): boolean {
    return this.overflowed;
  }

  push(event: BufferedEvent['event'], data: unknown, connected: boolean): BufferedEvent {
    const entry: Entry = { event, data, seq: this.nextSeq++, at: this.now() };
    this.entries.push(entry);
    if (connected) this.prune();
    if (this.entries.length > this.max) {
      this.entries.shift();
      if (!connected) this.overflowed = true;
    }
    return { event: entry.event, data: entry.data, seq: entry.seq };
  }

  /**
   * The socket closed. After a clean close (client disconnect, transport closed) what was sent
   * before got through, so only later events are replayed; after a ping timeout or transport
   * error the recent window is kept too, since it was probably lost.
   */
  markAway(connectionWasDead: boolean): void {
    if (connectionWasDead) this.prune();
    else this.entries = [];
  }

  /** What to replay: everything kept (see markAway). */
  replay(): BufferedEvent[] {
    return this.entries.map(({ event, data, seq }) => ({ event, data, seq }));
  }

  /** After a replay, keep only the recent window again. */
  prune(): void {
    const cutoff = this.now() - this.windowMs;
    let i = 0;
    while (i < this.entries.length && this.entries[i]!.at < cutoff) i++;
    if (i > 0) this.entries = this.entries.slice(i);
  }
}
