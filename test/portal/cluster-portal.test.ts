/**
 * The portal as its own process in cluster mode (`mediaspread start portal` on RabbitMQ):
 * registers with the cluster manager, checks tokens over RPC with the management API process,
 * relays to a conference node on the broker (played by this test).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { CLUSTER_MANAGER_ID, type WorkerView } from '../../cluster-manager/protocol.js';
import { decodeToken } from '../../common/auth/token-service.js';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import { openStore } from '../../common/store/open-store.js';
import { storeSchema } from '../../common/store/store-config.js';
import { ManagementApiClient } from '../../management-api/api-client.js';
import { type ServiceRecord, ServicesRepository } from '../../management-api/services-repository.js';
import { type CliProcess, startCli, writeTempConfig } from '../support/cli-process.js';
import { type PrivateRabbit, startPrivateRabbit } from '../support/rabbitmq.js';
import { waitUntil } from '../support/wait-until.js';
import { FakeConference, loginMessage, nextEvent, request } from './portal-harness.js';

describe('portal in cluster mode on RabbitMQ', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-portal-cluster-'));
  let rabbit: PrivateRabbit | undefined;
  let bus: AmqpBus | undefined;
  let conference: FakeConference | undefined;
  const procs: CliProcess[] = [];
  const sockets: Socket[] = [];
  let service: ServiceRecord;
  let apiUrl = '';

  before(async () => {
    rabbit = await startPrivateRabbit();
    const config = writeTempConfig(
      [
        '[rpc]',
        'transport = "amqp"',
        `amqpUrl = "${rabbit.url}"`,
        '[cluster]',
        'secret = "test-cluster-secret"',
        'tokenKey = "test-token-key"',
        '[store]',
        `dataDir = "${dataDir}"`,
        '[managementApi]',
        'port = 0',
        '[portal]',
        'port = 0',
      ].join('\n'),
    );
    // A tenant, written before the management API process owns the store.
    const store = await openStore(storeSchema.parse({ dataDir }));
    service = await new ServicesRepository(store).create({ name: 'tenant' });
    await store.close();

    const start = (part: string): CliProcess => {
      const p = startCli(['start', part, '--config', config]);
      procs.push(p);
      return p;
    };
    bus = await AmqpBus.connect({ url: rabbit.url, defaultTimeoutMs: 3000 });
    start('cluster-manager');
    await waitUntil(
      async () => (await bus?.call(CLUSTER_MANAGER_ID, 'getWorkers', []).catch(() => null)) != null,
      20_000,
      'cluster manager active',
    );
    const api = start('management-api');
    await api.waitFor(/REST API: http:\/\/127\.0\.0\.1:\d+/);
    apiUrl = /REST API: (http:\/\/127\.0\.0\.1:\d+)/.exec(api.output())?.[1] ?? '';
    const portal = start('portal');
    await portal.waitFor('Ctrl-C stops it.');
    conference = new FakeConference(bus);
    await conference.start();
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    await conference?.close();
    await Promise.all(procs.map((p) => p.stop(3000)));
    await bus?.close();
    await rabbit?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('REST token → login on the portal process once; events relayed over the broker', async () => {
    const workers = await bus!.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', ['portal']);
    assert.equal(workers.length, 1);
    const portalId = workers[0]!.id;

    const client = new ManagementApiClient({ url: apiUrl, serviceId: service._id, serviceKey: service.key });
    const room = ((await client.requestOk('POST', '/v1/rooms', { name: 'cluster' })).json as { _id: string })
      ._id;
    const token = (
      await client.requestOk('POST', `/v1/rooms/${room}/tokens`, { user: 'u', role: 'presenter' })
    ).text;
    const { host } = decodeToken(token);
    assert.equal(host, workers[0]!.info.publicHost);

    const connect = async (): Promise<Socket> => {
      const socket = io(`http://${host}`, { transports: ['websocket'], reconnection: false, forceNew: true });
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
    const socket = await connect();
    const [status, result] = await request(socket, 'login', loginMessage(token));
    assert.equal(status, 'ok', String(result));
    const me = result as { id: string; room: { id: string } };
    assert.equal(me.room.id, room);
    assert.equal(conference!.callsOf('join').at(-1)?.args[0], room);

    const event = nextEvent(socket, 'stream');
    await bus!.call(portalId, 'notify', [me.id, 'stream', { id: 's1', status: 'remove' }]);
    assert.deepEqual(await event, { id: 's1', status: 'remove' });

    const [s2] = await request(socket, 'text', { to: 'all', message: 'over amqp' });
    assert.equal(s2, 'ok');
    assert.deepEqual(conference!.callsOf('text').at(-1)?.args, [room, me.id, 'all', 'over amqp']);

    const again = await connect();
    const [s3, reason] = await request(again, 'login', loginMessage(token));
    assert.equal(s3, 'error');
    assert.match(String(reason), /already used/);
  });
});
