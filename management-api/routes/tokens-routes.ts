import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../common/errors.js';
import { createTokenBody } from '../request-schemas.js';
import { validate } from '../validate.js';
import { type ApiDeps, param, type RouteSpec } from './route-types.js';

/** `POST /v1/rooms/{room}/tokens` → the bare token string (OWT format). */
export function tokensRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'POST',
      pattern: '/v1/rooms/{room}/tokens',
      summary: 'Issue a single-use client token (valid 3 minutes); the body is the token string',
      auth: 'service',
      body: createTokenBody,
      handler: async (req) => {
        const room = await deps.rooms.get(req.service._id, param(req, 'room'));
        const body = validate(createTokenBody, req.body);
        if (!room.roles.some((r) => r.role === body.role)) {
          throw new ValidationError(`body.role: role '${body.role}' is not defined in room ${room._id}`, {
            data: [{ field: 'body.role', message: 'role not defined in room' }],
          });
        }
        const portal = await deps.portals.pick(`token-${randomBytes(8).toString('hex')}`, body.preference);
        // OWT: `domain` replaces the portal's host name and keeps its port.
        const host = body.domain ? `${body.domain}:${portal.host.split(':').pop() ?? ''}` : portal.host;
        const token = await deps.tokens.issue({
          room: room._id,
          user: body.user,
          role: body.role,
          preference: body.preference,
          origin: body.preference,
          service: req.service._id,
          host,
          secure: portal.secure,
          ...(portal.webTransportUrl ? { webTransportUrl: portal.webTransportUrl } : {}),
        });
        return { text: token };
      },
    },
  ];
}
