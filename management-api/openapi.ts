import { z } from 'zod';
import type { RouteSpec } from './routes/route-types.js';

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * OpenAPI 3.0 document built from the route table and the same zod schemas that validate
 * requests, so the document cannot drift from the behaviour.
 */
export function buildOpenApiDocument(routes: RouteSpec[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = { $ref: '#/components/schemas/Error' };
  for (const r of routes) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${r.pattern.replace(/[{}]/g, '').replace(/[/.-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      parameters: [...r.pattern.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      responses: {
        ...(r.notImplemented
          ? { '501': { description: `not in this build: ${r.notImplemented}`, content: json(errorRef) } }
          : {
              '200': {
                description: 'OK',
                ...(r.response ? { content: json(toSchema(r.response, 'output')) } : {}),
              },
            }),
        '400': { description: 'invalid request; message names the field', content: json(errorRef) },
        ...(r.auth === 'none'
          ? {}
          : { '401': { description: 'MAuth missing, forged, stale or replayed', content: json(errorRef) } }),
        '404': { description: 'unknown id', content: json(errorRef) },
        '413': { description: 'body too large', content: json(errorRef) },
        '503': { description: 'cluster manager or conference unreachable', content: json(errorRef) },
      },
    };
    if (r.auth !== 'none') op.security = [{ MAuth: [] }];
    if (r.body) op.requestBody = { required: true, content: json(toSchema(r.body, 'input')) };
    paths[r.pattern] ??= {};
    (paths[r.pattern] as Record<string, unknown>)[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: { title: 'MediaSpread management API (OWT v1 compatible)', version },
    paths,
    components: {
      schemas: { Error: toSchema(errorBody, 'output') },
      securitySchemes: {
        MAuth: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'MAuth realm=…,mauth_signature_method=HMAC_SHA256,mauth_serviceid=ID,mauth_cnonce=N,mauth_timestamp=MS,mauth_signature=SIG',
        },
      },
    },
  };
}

function json(schema: unknown): Record<string, unknown> {
  return { 'application/json': { schema } };
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' });
}
