import { createHash } from 'node:crypto';
import {
  closeSync as closeFdSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../logger.js';
import {
  type FilterValue,
  type ListOptions,
  matchesFilter,
  type Store,
  type StoreDocument,
} from './store.js';
import { DuplicateIdError, StoreUnavailableError } from './store-errors.js';

const log = createLogger('embedded-store');

const LOG_FILE = 'store.log';
const LOCK_FILE = 'store.lock';
/** Rewrite the log once it holds this many records and more than twice the live documents. */
const COMPACT_MIN_RECORDS = 2000;

type LogRecord = { o: 'put'; c: string; d: StoreDocument } | { o: 'del'; c: string; i: string };

interface PendingWrite {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface EmbeddedStoreOptions {
  dataDir: string;
}

/**
 * File-backed store for one process: every document lives in memory; every change is appended
 * to `store.log` as one checksummed line and fsync'ed before the call resolves (changes that
 * arrive meanwhile share one write + fsync). On open, a torn or corrupt tail left by a crash is
 * cut off; a corrupt line inside the file is skipped with a warning. The log is compacted by
 * writing a snapshot to a new file, fsync, rename, fsync of the directory.
 */
export class EmbeddedStore implements Store {
  private readonly collections = new Map<string, Map<string, StoreDocument>>();
  private readonly pending: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  private records = 0;
  private failure: unknown = null;
  private closed = false;

  private constructor(
    private readonly dataDir: string,
    private file: FileHandle,
  ) {}

  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    acquireLock(options.dataDir);
    try {
      const path = join(options.dataDir, LOG_FILE);
      const { records, goodLength, fileLength } = readLog(path);
      if (goodLength < fileLength) {
        log.warn({ path, dropped: fileLength - goodLength }, 'cutting off a torn tail left by a crash');
        const fh = await open(path, 'r+');
        await fh.truncate(goodLength);
        await fh.sync();
        await fh.close();
      }
      const file = await open(path, 'a');
      const store = new EmbeddedStore(options.dataDir, file);
      for (const record of records) store.apply(record);
      store.records = records.length;
      return store;
    } catch (err) {
      releaseLock(options.dataDir);
      throw err;
    }
  }

  async insert(collection: string, doc: StoreDocument): Promise<void> {
    this.assertWritable();
    const docs = this.collection(collection);
    if (docs.has(doc._id)) throw new DuplicateIdError(`${collection}/${doc._id} already exists`);
    await this.write({ o: 'put', c: collection, d: structuredClone(doc) });
  }

  async get(collection: string, id: string): Promise<StoreDocument | null> {
    this.assertOpen();
    const doc = this.collections.get(collection)?.get(id);
    return doc ? structuredClone(doc) : null;
  }

  async replace(collection: string, doc: StoreDocument): Promise<boolean> {
    this.assertWritable();
    if (!this.collection(collection).has(doc._id)) return false;
    await this.write({ o: 'put', c: collection, d: structuredClone(doc) });
    return true;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    this.assertWritable();
    if (!this.collection(collection).has(id)) return false;
    await this.write({ o: 'del', c: collection, i: id });
    return true;
  }

  async take(collection: string, id: string): Promise<StoreDocument | null> {
    this.assertWritable();
    const doc = this.collection(collection).get(id);
    if (!doc) return null;
    // The in-memory delete happens synchronously inside write(), so a second caller finds nothing.
    await this.write({ o: 'del', c: collection, i: id });
    return doc;
  }

  async list(collection: string, options: ListOptions = {}): Promise<StoreDocument[]> {
    this.assertOpen();
    const all = [...this.collection(collection).values()]
      .filter((d) => matchesFilter(d, options.filter))
      .sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
    const skip = options.skip ?? 0;
    const end = options.limit === undefined ? undefined : skip + options.limit;
    return all.slice(skip, end).map((d) => structuredClone(d));
  }

  async count(collection: string, filter?: Record<string, FilterValue>): Promise<number> {
    this.assertOpen();
    let n = 0;
    for (const doc of this.collection(collection).values()) if (matchesFilter(doc, filter)) n++;
    return n;
  }

  async purgeExpired(collection: string, now: number): Promise<number> {
    this.assertWritable();
    const expired = [...this.collection(collection).values()].filter(
      (d) => typeof d.expiresAt === 'number' && d.expiresAt < now,
    );
    await Promise.all(expired.map((d) => this.write({ o: 'del', c: collection, i: d._id })));
    return expired.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.file.close();
    releaseLock(this.dataDir);
  }

  private collection(name: string): Map<string, StoreDocument> {
    let docs = this.collections.get(name);
    if (!docs) {
      docs = new Map();
      this.collections.set(name, docs);
    }
    return docs;
  }

  private apply(record: LogRecord): void {
    if (record.o === 'put') this.collection(record.c).set(record.d._id, record.d);
    else this.collection(record.c).delete(record.i);
  }

  /** Applies in memory now (so concurrent callers see it) and resolves once it is on disk. */
  private write(record: LogRecord): Promise<void> {
    this.apply(record);
    const line = encodeRecord(record);
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.pending.length);
        try {
          if (this.failure) throw this.failure;
          await this.file.write(batch.map((w) => w.line).join(''));
          await this.file.datasync();
          this.records += batch.length;
          for (const w of batch) w.resolve();
        } catch (err) {
          // Memory now holds changes the disk may not: refuse everything from here on.
          this.failure ??= new StoreUnavailableError('embedded store write failed', { cause: err });
          log.error({ err }, 'embedded store write failed; the store is now read-only');
          for (const w of batch) w.reject(this.failure);
        }
        if (!this.failure && this.shouldCompact()) await this.compact();
      }
    } finally {
      this.flushing = null;
    }
  }

  private shouldCompact(): boolean {
    let live = 0;
    for (const docs of this.collections.values()) live += docs.size;
    return this.records >= COMPACT_MIN_RECORDS && this.records > 2 * live;
  }

  private async compact(): Promise<void> {
    const path = join(this.dataDir, LOG_FILE);
    const tmp = `${path}.compact`;
    try {
      const out = await open(tmp, 'w');
      let count = 0;
      try {
        const lines: string[] = [];
        for (const [c, docs] of this.collections) {
          for (const d of docs.values()) lines.push(encodeRecord({ o: 'put', c, d }));
        }
        count = lines.length;
        await out.write(lines.join(''));
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, path);
      await syncDirectory(this.dataDir);
      await this.file.close();
      this.file = await open(path, 'a');
      this.records = count;
      log.debug({ records: count }, 'compacted store log');
    } catch (err) {
      this.failure ??= new StoreUnavailableError('embedded store compaction failed', { cause: err });
      log.error({ err }, 'embedded store compaction failed; the store is now read-only');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('store is closed');
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.failure) throw this.failure;
  }
}

function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function encodeRecord(record: LogRecord): string {
  const json = JSON.stringify(record);
  return `${checksum(json)} ${json}\n`;
}

function decodeRecord(line: string): LogRecord | null {
  const space = line.indexOf(' ');
  if (space !== 16) return null;
  const json = line.slice(space + 1);
  if (checksum(json) !== line.slice(0, space)) return null;
  try {
    const value = JSON.parse(json) as Partial<LogRecord>;
    if (value.o === 'put' && typeof value.c === 'string' && typeof value.d?._id === 'string') {
      return value as LogRecord;
    }
    if (value.o === 'del' && typeof value.c === 'string' && typeof value.i === 'string') {
      return value as LogRecord;
    }
  } catch {
    // fall through: a line that passed the checksum but is not a record
  }
  return null;
}

/** Tolerant reader: keeps every valid line; the valid prefix length tells where a torn tail starts. */
function readLog(path: string): { records: LogRecord[]; goodLength: number; fileLength: number } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { records: [], goodLength: 0, fileLength: 0 };
    throw new StoreUnavailableError(`cannot read ${path}`, { cause: err });
  }
  const records: LogRecord[] = [];
  let offset = 0;
  let goodLength = 0;
  let skipped = 0;
  while (offset < data.length) {
    const nl = data.indexOf(0x0a, offset);
    if (nl === -1) break; // unterminated last line: torn write
    const record = decodeRecord(data.toString('utf8', offset, nl));
    offset = nl + 1;
    if (record) {
      records.push(record);
      goodLength = offset;
    } else {
      skipped++;
    }
  }
  if (skipped > 0) log.warn({ path, skipped }, 'skipped corrupt store log lines');
  return { records, goodLength, fileLength: data.length };
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One process per data directory; a lock left by a dead process is taken over. */
function acquireLock(dataDir: string): void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeFdSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreUnavailableError(`cannot lock ${dataDir}`, { cause: err });
      }
    }
    const holder = Number.parseInt(readFileSafe(path), 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new StoreUnavailableError(`store ${dataDir} is in use by process ${holder}`);
    }
    log.warn({ dataDir, holder }, 'taking over the lock of a process that is gone');
    try {
      unlinkSync(path);
    } catch {
      // another opener removed it first; the next attempt decides
    }
  }
  throw new StoreUnavailableError(`cannot lock ${dataDir}`);
}

function releaseLock(dataDir: string): void {
  const path = join(dataDir, LOCK_FILE);
  if (readFileSafe(path) === String(process.pid)) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
