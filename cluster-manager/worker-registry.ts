import type { Purpose, WorkerCapacity, WorkerJoin, WorkerState } from './protocol.js';

export interface WorkerRecord {
  readonly id: string;
  readonly purpose: Purpose;
  capacity: WorkerCapacity;
  maxLoad: number;
  load: number;
  state: WorkerState;
  info: Record<string, string | number>;
  /** Clock time of the last join, keep-alive or load report. */
  lastSeen: number;
  /** Order of first join; kept on re-join so order-based strategies keep their position. */
  readonly joinSeq: number;
}

export interface UpsertResult {
  record: WorkerRecord;
  /** True when the id was not known (or came back with another purpose). */
  isNew: boolean;
  /** The previous record when a re-join changed the purpose: it is gone now. */
  replaced?: WorkerRecord;
}

/** The workers that joined, keyed by id. Pure bookkeeping; the scheduler owns the rules. */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerRecord>();
  private nextSeq = 0;

  upsert(join: WorkerJoin, now: number): UpsertResult {
    const previous = this.workers.get(join.id);
    if (previous && previous.purpose === join.purpose) {
      previous.capacity = join.capacity;
      previous.maxLoad = join.maxLoad;
      previous.load = join.load ?? previous.load;
      previous.state = join.state ?? previous.state;
      previous.info = join.info ?? previous.info;
      previous.lastSeen = now;
      return { record: previous, isNew: false };
    }
    const record: WorkerRecord = {
      id: join.id,
      purpose: join.purpose,
      capacity: join.capacity,
      maxLoad: join.maxLoad,
      load: join.load ?? 0,
      state: join.state ?? 'in-service',
      info: join.info ?? {},
      lastSeen: now,
      joinSeq: this.nextSeq++,
    };
    this.workers.set(record.id, record);
    return previous ? { record, isNew: true, replaced: previous } : { record, isNew: true };
  }

  get(id: string): WorkerRecord | undefined {
    return this.workers.get(id);
  }

  remove(id: string): WorkerRecord | undefined {
    const record = this.workers.get(id);
    this.workers.delete(id);
    return record;
  }

  /** In join order. */
  list(purpose?: Purpose): WorkerRecord[] {
    const all = [...this.workers.values()];
    return purpose === undefined ? all : all.filter((w) => w.purpose === purpose);
  }

  /** Workers not heard from for more than `silenceMs`. */
  silentFor(silenceMs: number, now: number): WorkerRecord[] {
    return [...this.workers.values()].filter((w) => now - w.lastSeen > silenceMs);
  }

  clear(): void {
    this.workers.clear();
  }
}
