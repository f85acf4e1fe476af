import { z } from 'zod';
import { createRoomBody, roomConfigSchema, updateRoomBody } from '../request-schemas.js';
import { validate } from '../validate.js';
import { type ApiDeps, param, type RouteSpec } from './route-types.js';

/** `/v1/rooms`: room documents of the calling service. */
export function roomsRoutes(deps: ApiDeps): RouteSpec[] {
  // Unknown query parameters are ignored (clients add cache busters and the like).
  const pageQuery = z
    .object({
      page: z.coerce.number().int().min(1).default(1),
      per_page: z.coerce.number().int().min(1).max(deps.config.maxPageSize).default(deps.config.pageSize),
    })
    .strip();

  return [
    {
      method: 'POST',
      pattern: '/v1/rooms',
      summary: 'Create a room; defaults are filled in',
      auth: 'service',
      body: createRoomBody,
      response: roomConfigSchema,
      handler: async (req) => {
        const body = validate(createRoomBody, req.body);
        return { json: await deps.rooms.create(req.service._id, body.name, body.options) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/rooms',
      summary: 'List rooms, paged (?page=1&per_page=N); X-Total-Count header gives the total',
      auth: 'service',
      handler: async (req) => {
        const q = validate(pageQuery, Object.fromEntries(req.query), 'query');
        const { rooms, total } = await deps.rooms.list(req.service._id, {
          skip: (q.page - 1) * q.per_page,
          limit: q.per_page,
        });
        return { json: rooms, headers: { 'X-Total-Count': String(total) } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/rooms/{room}',
      summary: 'Get a room',
      auth: 'service',
      response: roomConfigSchema,
      handler: async (req) => ({ json: await deps.rooms.get(req.service._id, param(req, 'room')) }),
    },
    {
      method: 'PUT',
      pattern: '/v1/rooms/{room}',
      summary: 'Update a room (top-level fields replace); a live conference receives the new configuration',
      auth: 'service',
      body: updateRoomBody,
      response: roomConfigSchema,
      handler: async (req) => {
        const roomId = param(req, 'room');
        const changes = validate(updateRoomBody, req.body);
        await deps.rooms.get(req.service._id, roomId);
        // Ask first so that an unreachable cluster manager fails the request before anything is saved.
        await deps.conference.locate(roomId);
        const updated = await deps.rooms.update(req.service._id, roomId, changes);
        const { _id, id, ...config } = updated;
        await deps.conference.call(roomId, 'updateRoomConfig', [config]);
        return { json: updated };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/rooms/{room}',
      summary: 'Delete a room; a live conference is destroyed (participants dropped)',
      auth: 'service',
      handler: async (req) => {
        const roomId = param(req, 'room');
        await deps.rooms.get(req.service._id, roomId);
        await deps.conference.call(roomId, 'destroy', []);
        await deps.rooms.delete(req.service._id, roomId);
        return { text: 'Room deleted' };
      },
    },
  ];
}
