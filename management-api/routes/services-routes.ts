import { PermissionDeniedError } from '../../common/errors.js';
import { createServiceBody } from '../request-schemas.js';
import type { ServiceRecord } from '../services-repository.js';
import { validate } from '../validate.js';
import { type ApiDeps, param, type RouteSpec } from './route-types.js';

const summary = (s: ServiceRecord) => ({ _id: s._id, name: s.name, isSuper: s.isSuper });

/** `/services`: the super service manages the other services (OWT's root path). */
export function servicesRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'POST',
      pattern: '/services',
      summary: 'Create a service; the answer carries its key',
      auth: 'super',
      body: createServiceBody,
      handler: async (req) => {
        const body = validate(createServiceBody, req.body);
        const created = await deps.services.create(body);
        return { json: { ...summary(created), key: created.key } };
      },
    },
    {
      method: 'GET',
      pattern: '/services',
      summary: 'List services (without keys)',
      auth: 'super',
      handler: async () => ({ json: (await deps.services.list()).map(summary) }),
    },
    {
      method: 'GET',
      pattern: '/services/{service}',
      summary: 'Get one service, with its key',
      auth: 'super',
      handler: async (req) => {
        const s = await deps.services.get(param(req, 'service'));
        return { json: { ...summary(s), key: s.key } };
      },
    },
    {
      method: 'DELETE',
      pattern: '/services/{service}',
      summary: 'Delete a service and its rooms',
      auth: 'super',
      handler: async (req) => {
        const s = await deps.services.get(param(req, 'service'));
        if (s.isSuper) throw new PermissionDeniedError('the super service cannot be deleted');
        await deps.rooms.deleteAllOf(s._id);
        await deps.services.delete(s._id);
        return { text: 'Service deleted' };
      },
    },
  ];
}
