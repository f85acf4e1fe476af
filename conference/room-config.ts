import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { ROOM_CONFIG_ID } from '../management-api/room-config-rpc.js';
import { type RoomConfig, roomConfigSchema } from '../management-api/room-config-schema.js';
import { validate } from '../management-api/validate.js';

export type { RoomConfig } from '../management-api/room-config-schema.js';

/** Parses a room document (as stored or as pushed by updateRoomConfig): defaults filled, ids dropped. */
export function parseRoomConfig(doc: unknown, what = 'room'): RoomConfig {
  const fields = typeof doc === 'object' && doc !== null ? { ...(doc as Record<string, unknown>) } : doc;
  if (typeof fields === 'object' && fields !== null) {
    const f = fields as Record<string, unknown>;
    delete f._id;
    delete f.id;
    delete f.service;
  }
  return validate(roomConfigSchema, fields, what);
}

/** The room's configuration from the store's owner process (management-api/room-config-rpc.ts). */
export async function fetchRoomConfig(bus: RpcBus, roomId: string, timeoutMs: number): Promise<RoomConfig> {
  const doc = await bus.call<unknown>(ROOM_CONFIG_ID, 'getRoom', [roomId], { timeoutMs });
  return parseRoomConfig(doc);
}
