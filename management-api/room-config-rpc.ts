import { NotFoundError } from '../common/errors.js';
import type { RpcBus, RpcServer } from '../common/rpc/rpc-bus.js';
import type { Store } from '../common/store/store.js';
import { type RoomConfig, roomConfigSchema } from './room-config-schema.js';
import { ROOMS_COLLECTION } from './rooms-repository.js';

/**
 * Room configuration for conference nodes, served by the process that owns the store (the
 * embedded store can be opened by one process only). Any service's room: conference nodes
 * are trusted parts of the cluster and address rooms by id.
 */
export const ROOM_CONFIG_ID = 'room-config';

/** The room document as conference nodes get it: every default filled, `_id` = `id` = room id. */
export type RoomDocument = RoomConfig & { _id: string; id: string };

export async function readRoomDocument(store: Store, roomId: string): Promise<RoomDocument> {
  const doc = await store.get(ROOMS_COLLECTION, roomId);
  if (!doc) throw new NotFoundError(`room ${roomId} not found`);
  const { _id, service: _service, ...rest } = doc;
  // Parsing fills fields added to the schema since the document was written.
  return { ...roomConfigSchema.parse(rest), _id, id: _id };
}

export function serveRoomConfig(bus: RpcBus, store: Store): Promise<RpcServer> {
  return bus.serve(ROOM_CONFIG_ID, {
    getRoom: (roomId: unknown) => {
      if (typeof roomId !== 'string' || roomId === '') throw new NotFoundError('room id missing');
      return readRoomDocument(store, roomId);
    },
  });
}
