import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { Server as SocketIoServer } from 'socket.io';
import { ClusterMembership } from '../agents/cluster-membership.js';
import { NODE_LOST_TOPIC, type NodeLostEvent } from '../agents/protocol.js';
import { WORKER_LOST_TOPIC, type WorkerLostEvent } from '../cluster-manager/protocol.js';
import type { TokenVerifierLike } from '../common/auth/token-service.js';
import { createLogger } from '../common/logger.js';
import type { MonitorSubscription, RpcBus, RpcServer } from '../common/rpc/rpc-bus.js';
import { type PortalConfig, type PortalConfigInput, portalSchema } from './config.js';
import { PortalService } from './portal-service.js';
import { createStaticHandler } from './static-files.js';

const log = createLogger('portal');

export interface PortalDeps {
  bus: RpcBus;
  /** TokenService (same process as the store) or RemoteTokenVerifier. */
  tokens: TokenVerifierLike;
  /** `[portal]` section; omitted fields take their defaults. */
  config: PortalConfigInput | PortalConfig;
  /** Served at `/` when given (the demo page). */
  staticDir?: string;
}

export interface RunningPortal {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** Worker id and RPC id. */
  id: string;
  /** `name:port` as registered with the cluster manager (what tokens point to). */
  publicHost: string;
  service: PortalService;
  close(): Promise<void>;
}

/**
 * Starts the portal: socket.io signalling on HTTP(S), its RPC id (notify/drop), node-loss
 * monitoring and its membership in the cluster (purpose 'portal'). Does not own the bus.
 */
export async function runPortal(deps: PortalDeps): Promise<RunningPortal> {
  const config = portalSchema.parse(deps.config);
  const id =
    config.id ||
    `portal-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const serverKey = config.serverKey || randomBytes(32).toString('hex');
  const service = new PortalService({ bus: deps.bus, tokens: deps.tokens, config, portalId: id, serverKey });

  const staticHandler = deps.staticDir ? createStaticHandler(deps.staticDir) : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (staticHandler) {
      staticHandler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found');
  };
  const server: Server = config.tls
    ? createHttpsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, onRequest)
    : createHttpServer(onRequest);
  const io = new SocketIoServer(server, {
    allowEIO3: true,
    serveClient: false,
    cors: { origin: config.corsOrigins.includes('*') ? true : config.corsOrigins, credentials: true },
    // The engine refuses (closes) far larger frames; the per-message limit answers with an error ack.
    maxHttpBufferSize: Math.max(1_000_000, config.limits.maxMessageBytes * 2 + 4096),
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
  });
  io.on('connection', (socket) => service.accept(socket));

  const cleanups: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;
  const closeAll = (): Promise<void> => {
    closing ??= (async () => {
      for (const fn of [...cleanups].reverse()) await fn().catch(() => undefined);
    })();
    return closing;
  };
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
        server.closeAllConnections?.();
      }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const publicHost = config.publicHost || `${publicName(config.host)}:${port}`;
    const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `${config.tls ? 'https' : 'http'}://${urlHost}:${port}`;

    const rpc: RpcServer = await deps.bus.serve(id, service.rpcHandlers());
    cleanups.push(() => rpc.close());
    const subs: MonitorSubscription[] = [
      await deps.bus.subscribe(NODE_LOST_TOPIC, (event) => {
        const nodeId = (event as Partial<NodeLostEvent> | null)?.nodeId;
        if (typeof nodeId === 'string') service.nodeLost(nodeId);
      }),
      await deps.bus.subscribe(WORKER_LOST_TOPIC, (event) => {
        const lost = event as Partial<WorkerLostEvent> | null;
        if (lost?.purpose === 'conference' && Array.isArray(lost.tasks)) {
          service.roomsLost(lost.tasks.filter((t): t is string => typeof t === 'string'));
        }
      }),
    ];
    cleanups.push(async () => {
      for (const s of subs) await s.close();
    });
    cleanups.push(() => service.close());

    const membership = new ClusterMembership({
      bus: deps.bus,
      worker: {
        id,
        purpose: 'portal',
        capacity: { isps: config.capacity.isps, regions: config.capacity.regions },
        maxLoad: config.maxLoad,
        state: 'in-service',
        info: { publicHost, secure: config.tls ? 1 : 0, pid: process.pid },
      },
      load: async () => Math.min(1, service.connectionCount / config.maxSessions),
      tasks: () => [],
      intervalMs: config.keepAliveIntervalMs,
    });
    cleanups.push(() => membership.stop());
    await membership.start();
    log.info({ url, id, publicHost }, 'portal listening');
    return { url, id, publicHost, service, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A wildcard bind address is not something a browser can connect to: use the host name. */
function publicName(host: string): string {
  if (host === '0.0.0.0' || host === '::') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}
