import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AuthenticationError } from '../common/auth/auth-errors.js';
import { type MAuthIdentity, MAuthVerifier } from '../common/auth/mauth.js';
import { PermissionDeniedError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { BodyTooLargeError, httpStatusOf } from './errors.js';
import { readJsonBody } from './http/read-body.js';
import { Router } from './http/router.js';
import { buildOpenApiDocument } from './openapi.js';
import { liveRoutes } from './routes/live-routes.js';
import { roomsRoutes } from './routes/rooms-routes.js';
import type { ApiDeps, ApiResult, RouteSpec } from './routes/route-types.js';
import { servicesRoutes } from './routes/services-routes.js';
import { tokensRoutes } from './routes/tokens-routes.js';
import type { ServiceRecord } from './services-repository.js';

const ANONYMOUS: ServiceRecord = { _id: '', name: '', key: '', isSuper: false, createdAt: 0 };

const log = createLogger('management-api');

export const API_VERSION = '1.0.0';

export function allRoutes(deps: ApiDeps): RouteSpec[] {
  const routes = [...servicesRoutes(deps), ...roomsRoutes(deps), ...liveRoutes(deps), ...tokensRoutes(deps)];
  let openapi: Record<string, unknown> | undefined;
  routes.push({
    method: 'GET',
    pattern: '/v1/openapi.json',
    summary: 'This document',
    auth: 'none',
    handler: async () => {
      openapi ??= buildOpenApiDocument(routes, API_VERSION);
      return { json: openapi };
    },
  });
  return routes;
}

/** The HTTP(S) server: routing, MAuth, body limits, JSON errors `{error:{code, message}}`. */
export function createApiServer(deps: ApiDeps): Server {
  const router = new Router<RouteSpec>();
  for (const r of allRoutes(deps)) router.add(r.method, r.pattern, r);
  const verifier = new MAuthVerifier({
    skewMs: deps.config.mauth.skewMs,
    nonceTtlMs: deps.config.mauth.nonceTtlMs,
    lookupKey: async (id) => (await deps.services.find(id))?.key ?? null,
  });

  /** Public routes get an anonymous identity that no handler of theirs reads. */
  const authenticate = async (
    spec: RouteSpec,
    authorization: string | undefined,
  ): Promise<{ identity: MAuthIdentity; service: ServiceRecord }> => {
    if (spec.auth === 'none') return { identity: { serviceId: '' }, service: ANONYMOUS };
    const identity = await verifier.verify(authorization);
    const service = await deps.services.find(identity.serviceId);
    // Deleted between the key lookup and now: same answer as any failed authentication.
    if (!service) throw new AuthenticationError('MAuth signature does not verify');
    if (spec.auth === 'super' && !service.isSuper) {
      throw new PermissionDeniedError('only the super service may manage services');
    }
    return { identity, service };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    log.debug({ method, path: url.pathname }, 'request');
    try {
      const { handler: spec, params } = router.match(method, url.pathname);
      const { identity, service } = await authenticate(spec, req.headers.authorization);
      const body =
        method === 'GET' || method === 'DELETE'
          ? undefined
          : await readJsonBody(req, deps.config.maxBodyBytes);
      const result = await spec.handler({ params, query: url.searchParams, body, identity, service });
      send(res, result.status ?? 200, result);
    } catch (err) {
      const status = httpStatusOf(err);
      const code =
        typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'INTERNAL';
      const message = status === 500 ? 'internal error' : (err as Error).message;
      if (status === 500) log.error({ err, method, path: url.pathname }, 'request failed');
      else log.debug({ status, code, method, path: url.pathname }, message);
      // After a too-large body the rest of it is unread: close instead of draining it.
      if (err instanceof BodyTooLargeError) res.setHeader('Connection', 'close');
      send(res, status, { json: { error: { code, message } } });
      if (err instanceof BodyTooLargeError) res.on('finish', () => req.socket.destroySoon());
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'unhandled request failure');
      if (!res.headersSent)
        send(res, 500, { json: { error: { code: 'INTERNAL', message: 'internal error' } } });
      else res.destroy();
    });
  };

  const tls = deps.config.tls;
  return tls
    ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, onRequest)
    : createHttpServer(onRequest);
}

function send(res: ServerResponse, status: number, result: ApiResult): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
  if (result.json !== undefined) {
    const body = JSON.stringify(result.json);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  } else {
    const body = result.text ?? '';
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}
