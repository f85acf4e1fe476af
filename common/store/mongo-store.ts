import { type Collection, type Filter, MongoClient, MongoServerError } from 'mongodb';
import { createLogger } from '../logger.js';
import type { FilterValue, ListOptions, Store, StoreDocument } from './store.js';
import { DuplicateIdError, StoreUnavailableError } from './store-errors.js';

const log = createLogger('mongo-store');

/** Secondary indexes per collection (the `_id` index always exists). */
const INDEXES: Record<string, Array<Record<string, 1>>> = {
  rooms: [{ service: 1 }],
  services: [{ isSuper: 1 }],
  tokens: [{ expiresAt: 1 }],
};

export interface MongoStoreOptions {
  url: string;
  /** Defaults to `mediaspread`. */
  database?: string;
  serverSelectionTimeoutMs?: number;
}

/**
 * MongoDB through the official driver. The driver reconnects by itself and retries a write
 * once after a network error (retryWrites); an operation that still cannot reach a server
 * fails with StoreUnavailableError.
 */
export class MongoStore implements Store {
  private readonly indexed = new Set<string>();

  private constructor(
    private readonly client: MongoClient,
    private readonly dbName: string,
  ) {}

  static async open(options: MongoStoreOptions): Promise<MongoStore> {
    const client = new MongoClient(options.url, {
      retryWrites: true,
      retryReads: true,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000,
    });
    client.on('serverHeartbeatFailed', (event) =>
      log.warn({ host: event.connectionId }, 'mongodb heartbeat failed'),
    );
    try {
      await client.connect();
    } catch (err) {
      await client.close().catch(() => undefined);
      throw new StoreUnavailableError('cannot connect to MongoDB', { cause: err });
    }
    return new MongoStore(client, options.database ?? 'mediaspread');
  }

  async insert(collection: string, doc: StoreDocument): Promise<void> {
    const c = await this.collection(collection);
    try {
      await c.insertOne(structuredClone(doc));
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) {
        throw new DuplicateIdError(`${collection}/${doc._id} already exists`);
      }
      throw unavailable(err);
    }
  }

  async get(collection: string, id: string): Promise<StoreDocument | null> {
    const c = await this.collection(collection);
    return guard(() => c.findOne(byId(id)));
  }

  async replace(collection: string, doc: StoreDocument): Promise<boolean> {
    const c = await this.collection(collection);
    const result = await guard(() => c.replaceOne(byId(doc._id), structuredClone(doc)));
    return result.matchedCount === 1;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    const c = await this.collection(collection);
    const result = await guard(() => c.deleteOne(byId(id)));
    return result.deletedCount === 1;
  }

  async take(collection: string, id: string): Promise<StoreDocument | null> {
    const c = await this.collection(collection);
    return guard(() => c.findOneAndDelete(byId(id)));
  }

  async list(collection: string, options: ListOptions = {}): Promise<StoreDocument[]> {
    const c = await this.collection(collection);
    let cursor = c.find(toFilter(options.filter)).sort({ _id: 1 });
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return guard(() => cursor.toArray());
  }

  async count(collection: string, filter?: Record<string, FilterValue>): Promise<number> {
    const c = await this.collection(collection);
    return guard(() => c.countDocuments(toFilter(filter)));
  }

  async purgeExpired(collection: string, now: number): Promise<number> {
    const c = await this.collection(collection);
    const result = await guard(() => c.deleteMany({ expiresAt: { $lt: now } }));
    return result.deletedCount;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Test helper: drops the whole database (contract tests use a throwaway one). */
  async dropDatabase(): Promise<void> {
    await this.client.db(this.dbName).dropDatabase();
  }

  private async collection(name: string): Promise<Collection<StoreDocument>> {
    const c = this.client.db(this.dbName).collection<StoreDocument>(name);
    if (!this.indexed.has(name)) {
      for (const spec of INDEXES[name] ?? []) await guard(() => c.createIndex(spec));
      this.indexed.add(name);
    }
    return c;
  }
}

function byId(id: string): Filter<StoreDocument> {
  return { _id: id };
}

function toFilter(filter: Record<string, FilterValue> | undefined): Filter<StoreDocument> {
  return (filter ?? {}) as Filter<StoreDocument>;
}

async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw unavailable(err);
  }
}

function unavailable(err: unknown): unknown {
  if (err instanceof MongoServerError) return err;
  return new StoreUnavailableError('MongoDB operation failed', { cause: err });
}
