import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../common/errors.js';
import { newId } from '../common/store/new-id.js';
import type { Store, StoreDocument } from '../common/store/store.js';

export const SERVICES_COLLECTION = 'services';

export interface ServiceRecord {
  _id: string;
  name: string;
  /** Clear text here; the store layer encrypts it at rest. */
  key: string;
  /** The super service may manage other services. */
  isSuper: boolean;
  createdAt: number;
}

/** Services (tenants): each has a key used for MAuth and owns its rooms. */
export class ServicesRepository {
  constructor(private readonly store: Store) {}

  async create(input: { name: string; key?: string; isSuper?: boolean }): Promise<ServiceRecord> {
    const record: ServiceRecord = {
      _id: newId(),
      name: input.name,
      key: input.key ?? randomBytes(32).toString('base64'),
      isSuper: input.isSuper ?? false,
      createdAt: Date.now(),
    };
    await this.store.insert(SERVICES_COLLECTION, { ...record });
    return record;
  }

  async find(id: string): Promise<ServiceRecord | null> {
    const doc = await this.store.get(SERVICES_COLLECTION, id);
    return doc ? toRecord(doc) : null;
  }

  async get(id: string): Promise<ServiceRecord> {
    const record = await this.find(id);
    if (!record) throw new NotFoundError(`service ${id} not found`);
    return record;
  }

  async list(): Promise<ServiceRecord[]> {
    return (await this.store.list(SERVICES_COLLECTION)).map(toRecord);
  }

  async findSuper(): Promise<ServiceRecord | null> {
    const [doc] = await this.store.list(SERVICES_COLLECTION, { filter: { isSuper: true }, limit: 1 });
    return doc ? toRecord(doc) : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.store.delete(SERVICES_COLLECTION, id);
  }
}

function toRecord(doc: StoreDocument): ServiceRecord {
  return {
    _id: doc._id,
    name: String(doc.name),
    key: String(doc.key),
    isSuper: doc.isSuper === true,
    createdAt: typeof doc.createdAt === 'number' ? doc.createdAt : 0,
  };
}
