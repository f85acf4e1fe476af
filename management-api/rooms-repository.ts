import { NotFoundError } from '../common/errors.js';
import { newId } from '../common/store/new-id.js';
import type { Store, StoreDocument } from '../common/store/store.js';
import { type RoomConfig, roomConfigSchema } from './room-config-schema.js';
import { validate } from './validate.js';

export const ROOMS_COLLECTION = 'rooms';

/** A room as the API returns it: OWT clients read `_id`; `id` is the same value. */
export type RoomView = RoomConfig & { _id: string; id: string };

/** Rooms of one service at a time: another service's room is reported as not found. */
export class RoomsRepository {
  constructor(private readonly store: Store) {}

  /** Fills defaults and validates (`options` field names in errors). */
  async create(service: string, name: string, options: Record<string, unknown> = {}): Promise<RoomView> {
    const config = validate(roomConfigSchema, { ...options, name }, 'options');
    const id = newId();
    await this.store.insert(ROOMS_COLLECTION, { ...structuredClone(config), _id: id, service });
    return { ...config, _id: id, id };
  }

  async get(service: string, id: string): Promise<RoomView> {
    const doc = await this.store.get(ROOMS_COLLECTION, id);
    if (!doc || doc.service !== service) throw new NotFoundError(`room ${id} not found`);
    return toView(doc);
  }

  /** Only the document's owner sees it; used to check a room id before live calls. */
  async exists(service: string, id: string): Promise<boolean> {
    const doc = await this.store.get(ROOMS_COLLECTION, id);
    return doc !== null && doc.service === service;
  }

  async list(
    service: string,
    page: { skip: number; limit: number },
  ): Promise<{ rooms: RoomView[]; total: number }> {
    const [docs, total] = await Promise.all([
      this.store.list(ROOMS_COLLECTION, { filter: { service }, skip: page.skip, limit: page.limit }),
      this.store.count(ROOMS_COLLECTION, { service }),
    ]);
    return { rooms: docs.map(toView), total };
  }

  /** Top-level fields of `changes` replace the stored ones; the result is validated as a whole. */
  async update(service: string, id: string, changes: Record<string, unknown>): Promise<RoomView> {
    const current = await this.get(service, id);
    const { _id: _ignoredId, id: _ignored, ...config } = current;
    const { _id: _a, id: _b, ...fields } = changes;
    const config2 = validate(roomConfigSchema, { ...config, ...fields }, 'body');
    const ok = await this.store.replace(ROOMS_COLLECTION, { ...structuredClone(config2), _id: id, service });
    if (!ok) throw new NotFoundError(`room ${id} not found`);
    return { ...config2, _id: id, id };
  }

  deleteAllOf(service: string): Promise<number> {
    return deleteRoomsOf(this.store, service);
  }

  async delete(service: string, id: string): Promise<void> {
    await this.get(service, id);
    if (!(await this.store.delete(ROOMS_COLLECTION, id))) throw new NotFoundError(`room ${id} not found`);
  }
}

/** Removes every room of a service (service deletion). */
export async function deleteRoomsOf(store: Store, service: string): Promise<number> {
  const docs = await store.list(ROOMS_COLLECTION, { filter: { service } });
  for (const d of docs) await store.delete(ROOMS_COLLECTION, d._id);
  return docs.length;
}

function toView(doc: StoreDocument): RoomView {
  const { _id, service: _service, ...rest } = doc;
  // Stored documents were validated on write; parsing again fills fields added since.
  const config = roomConfigSchema.parse(rest);
  return { ...config, _id, id: _id };
}
