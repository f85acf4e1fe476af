import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { NodeRequest } from '../../agents/protocol.js';
import type { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { CLUSTER_MANAGER_ID } from '../../cluster-manager/protocol.js';
import { TokenService } from '../../common/auth/token-service.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { RpcBus, RpcServer } from '../../common/rpc/rpc-bus.js';
import { openStore } from '../../common/store/open-store.js';
import type { Store } from '../../common/store/store.js';
import { storeSchema } from '../../common/store/store-config.js';
import type { JoinResult, ParticipantJoin } from '../../conference/protocol.js';
import type { PortalConfigInput } from '../../portal/config.js';
import { type RunningPortal, runPortal } from '../../portal/main.js';
import { waitUntil } from '../support/wait-until.js';

export const TOKEN_KEY = 'portal-test-token-key';
export const CONFERENCE_AGENT = 'conference-agent-fake';
export const CONFERENCE_NODE = 'conference-node-fake';

export interface NodeCall {
  method: string;
  args: unknown[];
}

/**
 * A fake conference agent + node on a LocalBus (one node for every room), records every call
 * it gets. Scheduling goes through the real cluster manager.
 */
export class FakeConference {
  readonly calls: NodeCall[] = [];
  readonly getNodeRequests: NodeRequest[] = [];
  private readonly servers: RpcServer[] = [];

  constructor(private readonly bus: RpcBus) {}

  async start(): Promise<void> {
    await this.bus.call(CLUSTER_MANAGER_ID, 'join', [
      { id: CONFERENCE_AGENT, purpose: 'conference', capacity: { isps: [], regions: [] }, maxLoad: 1 },
    ]);
    this.servers.push(
      await this.bus.serve(CONFERENCE_AGENT, {
        getNode: (request: NodeRequest) => {
          this.getNodeRequests.push(request);
          return CONFERENCE_NODE;
        },
      }),
    );
    await this.serveNode();
  }

  async serveNode(): Promise<void> {
    const record =
      (method: string, result: (...args: unknown[]) => unknown = () => undefined) =>
      (...args: unknown[]) => {
        this.calls.push({ method, args });
        return result(...args);
      };
    this.servers.push(
      await this.bus.serve(CONFERENCE_NODE, {
        join: record('join', (roomId, participant) => {
          const p = participant as ParticipantJoin;
          const result: JoinResult = {
            permission: { publish: { audio: true, video: true }, subscribe: { audio: true, video: true } },
            room: {
              id: String(roomId),
              views: ['common'],
              participants: [{ id: p.id, user: p.user, role: p.role }],
              streams: [],
            },
          };
          return result;
        }),
        leave: record('leave'),
        text: record('text'),
        publish: record('publish', (_r, _p, sessionId, options) => ({
          id: sessionId,
          transportId: (options as { transport: { id?: string } }).transport.id ?? sessionId,
        })),
        unpublish: record('unpublish'),
        subscribe: record('subscribe', (_r, _p, sessionId, options) => ({
          id: sessionId,
          transportId: (options as { transport: { id?: string } }).transport.id ?? sessionId,
        })),
        unsubscribe: record('unsubscribe'),
        streamControl: record('streamControl', (_r, _p, _s, command) =>
          (command as { operation: string }).operation === 'get-region' ? { region: 'r1' } : undefined,
        ),
        subscriptionControl: record('subscriptionControl'),
        onTransportSignaling: record('onTransportSignaling'),
      }),
    );
  }

  /** Stops serving the node (as if its process died). */
  async stopNode(): Promise<void> {
    const node = this.servers.find((s) => s.id === CONFERENCE_NODE);
    await node?.close();
  }

  callsOf(method: string): NodeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async close(): Promise<void> {
    for (const s of this.servers) await s.close().catch(() => undefined);
  }
}

export type AckResult = [status: string, result: unknown];

/**
 * LocalBus + real cluster manager + fake conference + embedded store with a real TokenService +
 * the real portal. Sockets made with connect() are closed by close().
 */
export class PortalHarness {
  readonly bus = new LocalBus({ defaultTimeoutMs: 2000 });
  readonly conference = new FakeConference(this.bus);
  store!: Store;
  tokens!: TokenService;
  portal!: RunningPortal;
  private manager?: ClusterManager;
  private readonly sockets: Socket[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'ms-portal-'));

  static async start(config: PortalConfigInput = {}, staticDir?: string): Promise<PortalHarness> {
    const h = new PortalHarness();
    try {
      h.manager = await runClusterManager(h.bus, { keepAliveIntervalMs: 600_000, recoveryTimeMs: 0 });
      await waitUntil(
        () =>
          h.bus.call(CLUSTER_MANAGER_ID, 'getWorkers', []).then(
            () => true,
            () => false,
          ),
        5000,
        'cluster manager serving',
      );
      await h.conference.start();
      h.store = await openStore(storeSchema.parse({ dataDir: h.dir }));
      h.tokens = new TokenService({ store: h.store, key: TOKEN_KEY });
      h.portal = await runPortal({
        bus: h.bus,
        tokens: h.tokens,
        config: { port: 0, pingIntervalMs: 1000, pingTimeoutMs: 1000, ...config },
        staticDir,
      });
    } catch (err) {
      await h.close();
      throw err;
    }
    return h;
  }

  issueToken(room = 'room-1', user = 'alice', role = 'presenter', tokens = this.tokens): Promise<string> {
    return tokens.issue({
      room,
      user,
      role,
      preference: { isp: 'isp1' },
      origin: {},
      service: 'svc',
      host: this.portal.publicHost,
      secure: false,
    });
  }

  async connect(url = this.portal.url): Promise<Socket> {
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    this.sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket.io connect timed out')), 5000);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return socket;
  }

  /** A logged-in socket (JavaScript SDK, protocol 1.2 unless told). */
  async login(
    options: { room?: string; user?: string; sdkType?: string; protocol?: string } = {},
  ): Promise<{ socket: Socket; result: LoginResult }> {
    const socket = await this.connect();
    const token = await this.issueToken(options.room, options.user);
    const [status, result] = await request(socket, 'login', loginMessage(token, options));
    if (status !== 'ok') throw new Error(`login failed: ${String(result)}`);
    return { socket, result: result as LoginResult };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.disconnect();
    await this.portal?.close();
    await this.conference.close();
    await this.manager?.stop();
    await this.bus.close();
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface LoginResult {
  id: string;
  user: string;
  role: string;
  permission: unknown;
  room: { id: string; views: string[]; participants: unknown[]; streams: unknown[] };
  reconnectionTicket?: string;
}

export function loginMessage(token: string, options: { sdkType?: string; protocol?: string } = {}): unknown {
  return {
    token,
    userAgent: { sdk: { type: options.sdkType ?? 'JavaScript', version: '5.1' } },
    protocol: options.protocol ?? '1.2',
  };
}

/** emit(name, data?, ack) → [status, result]; rejects after 5 s without an ack. */
export function request(socket: Socket, name: string, ...data: unknown[]): Promise<AckResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${name}`)), 5000);
    socket.emit(name, ...data, (status: string, result: unknown) => {
      clearTimeout(timer);
      resolve([status, result]);
    });
  });
}

/** The next `event` on the socket; rejects after timeoutMs. */
export function nextEvent(socket: Socket, event: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (data: unknown): void => {
      clearTimeout(timer);
      resolve(data);
    };
    socket.once(event, onEvent);
  });
}
