/**
 * The conference role in real node processes of a real agent: rooms from the embedded store
 * through the 'room-config' RPC, several rooms per node, release of an empty room.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../agents/agent.js';
import { agentSchema } from '../../agents/config.js';
import type { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { clusterManagerSchema } from '../../cluster-manager/config.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { CLUSTER_MANAGER_ID, type ScheduleResult } from '../../cluster-manager/protocol.js';
import { rpcSchema } from '../../common/config/base-schema.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { RpcServer } from '../../common/rpc/rpc-bus.js';
import { EmbeddedStore } from '../../common/store/embedded-store.js';
import type { JoinResult, ParticipantJoin } from '../../conference/protocol.js';
import { ROOM_CONFIG_ID, type RoomDocument, serveRoomConfig } from '../../management-api/room-config-rpc.js';
import { RoomsRepository } from '../../management-api/rooms-repository.js';
import { waitUntil } from '../support/wait-until.js';
import { FakePortal } from './harness.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('conference nodes in node processes', () => {
  const bus = new LocalBus({ defaultTimeoutMs: 5000 });
  const dir = mkdtempSync(join(tmpdir(), 'mediaspread-conference-'));
  const pids = new Set<number>();
  const portal = new FakePortal('portal-x');
  let store: EmbeddedStore;
  let roomConfig: RpcServer;
  let manager: ClusterManager;
  let agent: Agent;
  let roomA: string;
  let roomB: string;

  before(async () => {
    store = await EmbeddedStore.open({ dataDir: dir });
    const rooms = new RoomsRepository(store);
    roomA = (await rooms.create('svc', 'room A', { participantLimit: 5 }))._id;
    roomB = (await rooms.create('svc', 'room B', { views: [{ label: 'main' }] }))._id;
    roomConfig = await serveRoomConfig(bus, store);
    await portal.serve(bus);
    manager = await runClusterManager(bus, clusterManagerSchema.parse({ keepAliveIntervalMs: 200 }));
    agent = new Agent({
      config: agentSchema.parse({
        purpose: 'conference',
        id: 'conference-test',
        nodes: { prerun: 1, max: 2, maxTasksPerNode: 10, reuse: true },
        load: { intervalMs: 200 },
      }),
      bus,
      nodeRpc: rpcSchema.parse({ transport: 'local', defaultTimeoutMs: 5000 }),
      attachChild: (child) => {
        if (child.pid) pids.add(child.pid);
        bus.attachChild(child);
      },
      logLevel: 'warn',
      loadMeter: { kind: 'cpu', sample: async () => 0.1 },
    });
    const joined = new Promise<void>((resolve) => agent.once('joined', () => resolve()));
    await agent.start();
    await joined;
  });

  after(async () => {
    await agent?.stop();
    await manager?.stop();
    await roomConfig?.close();
    await bus.close();
    await store?.close();
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeFor = async (roomId: string): Promise<string> => {
    const scheduled = await bus.call<ScheduleResult>(CLUSTER_MANAGER_ID, 'schedule', [
      'conference',
      roomId,
      {},
    ]);
    return bus.call<string>(scheduled.id, 'getNode', [{ task: roomId, room: roomId }]);
  };

  const participant = (id: string): ParticipantJoin => ({
    id,
    user: id,
    role: 'presenter',
    portal: portal.id,
    preference: {},
  });

  it('serves room documents with defaults; unknown rooms are NotFoundError', async () => {
    const doc = await bus.call<RoomDocument>(ROOM_CONFIG_ID, 'getRoom', [roomA]);
    assert.equal(doc._id, roomA);
    assert.equal(doc.participantLimit, 5);
    assert.equal(doc.roles.length > 0, true);
    assert.equal('service' in doc, false);
    await assert.rejects(bus.call(ROOM_CONFIG_ID, 'getRoom', ['nope']), { name: 'NotFoundError' });
  });

  it('runs two rooms on one node and releases each when it empties', async () => {
    const nodeA = await nodeFor(roomA);
    const nodeB = await nodeFor(roomB);
    assert.equal(nodeA, nodeB, 'maxTasksPerNode > 1: rooms share a node');
    const joinA = await bus.call<JoinResult>(nodeA, 'join', [roomA, participant('p1')]);
    assert.deepEqual(joinA.room.views, ['common']);
    assert.deepEqual(joinA.permission.publish, { audio: true, video: true });
    const joinB = await bus.call<JoinResult>(nodeB, 'join', [roomB, participant('p2')]);
    assert.deepEqual(joinB.room.views, ['main']);
    await bus.call(nodeA, 'text', [roomA, 'p1', 'all', 'hi']);
    await portal.waitFor('p1', 'text', (d) => d.message === 'hi', 'text through the node process');

    await bus.call(nodeA, 'leave', [roomA, 'p1']);
    await waitUntil(
      async () => (await bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['conference', roomA])) === null,
      5000,
      'room A released',
    );
    assert.equal(await bus.call('conference-test', 'queryNode', [roomA]), null);
    assert.equal(await bus.call('conference-test', 'queryNode', [roomB]), nodeB);
    assert.deepEqual(await bus.call(nodeB, 'getParticipants', [roomB]), [
      { id: 'p2', role: 'presenter', user: 'p2', permission: joinB.permission, portal: portal.id },
    ]);
    await assert.rejects(bus.call(nodeA, 'getParticipants', [roomA]), { code: 'NOT_FOUND' });
  });
});
