import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { CLUSTER_MANAGER_ID, type WorkerView } from '../../cluster-manager/protocol.js';
import { RemoteTokenVerifier, serveTokenVerifier } from '../../common/auth/token-rpc.js';
import { decodeToken, TokenService } from '../../common/auth/token-service.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { RpcServer } from '../../common/rpc/rpc-bus.js';
import { openStore } from '../../common/store/open-store.js';
import type { Store } from '../../common/store/store.js';
import { storeSchema } from '../../common/store/store-config.js';
import { ManagementApiClient } from '../../management-api/api-client.js';
import { type RunningManagementApi, runManagementApi } from '../../management-api/main.js';
import { ServicesRepository } from '../../management-api/services-repository.js';
import { type RunningPortal, runPortal } from '../../portal/main.js';
import { waitUntil } from '../support/wait-until.js';
import { FakeConference, loginMessage, request } from './portal-harness.js';

/**
 * Issue 4's round trip for real: REST `POST /v1/rooms/{room}/tokens` on the management API
 * (embedded store, real TokenService) → the token points at the portal registered with the
 * cluster manager → socket.io login there succeeds once; the second use is refused.
 */
describe('portal: token from the management API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ms-portal-rt-'));
  const bus = new LocalBus({ defaultTimeoutMs: 2000 });
  const conference = new FakeConference(bus);
  const sockets: Socket[] = [];
  let manager: ClusterManager | undefined;
  let store: Store | undefined;
  let api: RunningManagementApi | undefined;
  let verifier: RpcServer | undefined;
  let portal: RunningPortal | undefined;
  let client: ManagementApiClient;

  before(async () => {
    manager = await runClusterManager(bus, { keepAliveIntervalMs: 600_000, recoveryTimeMs: 0 });
    await waitUntil(
      () =>
        bus.call(CLUSTER_MANAGER_ID, 'getWorkers', []).then(
          () => true,
          () => false,
        ),
      5000,
      'cluster manager serving',
    );
    await conference.start();
    store = await openStore(storeSchema.parse({ dataDir: dir }));
    const tokens = new TokenService({ store, key: 'round-trip-token-key' });
    // As in cluster mode: the portal checks tokens over RPC with the store's owner.
    verifier = await serveTokenVerifier(bus, tokens);
    api = await runManagementApi({ bus, store, tokens, config: { port: 0 } });
    portal = await runPortal({ bus, tokens: new RemoteTokenVerifier(bus, 2000), config: { port: 0 } });
    const service = await new ServicesRepository(store).create({ name: 'tenant' });
    client = new ManagementApiClient({ url: api.url, serviceId: service._id, serviceKey: service.key });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await portal?.close();
    await api?.close();
    await verifier?.close();
    await conference.close();
    await manager?.stop();
    await bus.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the portal registers its public host with the cluster manager', async () => {
    const workers = await bus.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', ['portal']);
    const me = workers.find((w) => w.id === portal?.id);
    assert.ok(me, 'portal joined the cluster');
    assert.equal(me.info.publicHost, portal?.publicHost);
    assert.equal(me.info.secure, 0);
  });

  it('REST token → socket.io login works once; the second use is refused', async () => {
    const created = await client.request('POST', '/v1/rooms', { name: 'round-trip' });
    assert.equal(created.status, 200, created.text);
    const roomId = (created.json as { _id: string })._id;
    const res = await client.request('POST', `/v1/rooms/${roomId}/tokens`, {
      user: 'alice',
      role: 'presenter',
    });
    assert.equal(res.status, 200, res.text);
    const token = res.text;
    const payload = decodeToken(token);
    assert.equal(payload.host, portal?.publicHost);
    assert.equal(payload.secure, false);

    // Connect where the token says, as the SDK does.
    const connect = async (): Promise<Socket> => {
      const socket = io(`http://${payload.host}`, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('connect timed out')), 5000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return socket;
    };
    const first = await connect();
    const [status, result] = await request(first, 'login', loginMessage(token));
    assert.equal(status, 'ok', String(result));
    const r = result as { user: string; role: string; room: { id: string } };
    assert.equal(r.user, 'alice');
    assert.equal(r.role, 'presenter');
    assert.equal(r.room.id, roomId);
    assert.equal(conference.callsOf('join').at(-1)?.args[0], roomId);

    const second = await connect();
    const [status2, reason] = await request(second, 'login', loginMessage(token));
    assert.equal(status2, 'error');
    assert.match(String(reason), /token refused: token unknown or already used/);
  });
});
