import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../agents/agent.js';
import { agentSchema } from '../../agents/config.js';
import type { LoadMeter } from '../../agents/load/load-meter.js';
import { NODE_LOST_TOPIC, type NodeLostEvent, type NodeView } from '../../agents/protocol.js';
import type { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { clusterManagerSchema } from '../../cluster-manager/config.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { CLUSTER_MANAGER_ID, type ScheduleResult } from '../../cluster-manager/protocol.js';
import { rpcSchema } from '../../common/config/base-schema.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { waitUntil } from '../support/wait-until.js';

const fixedLoad: LoadMeter = { kind: 'cpu', sample: async () => 0.1 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('agent and its node processes (all-in-one bus)', () => {
  const bus = new LocalBus({ defaultTimeoutMs: 3000 });
  let manager: ClusterManager;
  let agent: Agent;
  const lost: NodeLostEvent[] = [];
  const pids = new Set<number>();

  before(async () => {
    manager = await runClusterManager(bus, clusterManagerSchema.parse({ keepAliveIntervalMs: 200 }));
    await bus.subscribe(NODE_LOST_TOPIC, (e) => lost.push(e as NodeLostEvent));
    agent = new Agent({
      config: agentSchema.parse({
        purpose: 'webrtc',
        id: 'webrtc-test',
        nodes: { prerun: 2, max: 4, maxTasksPerNode: 2, reuse: true },
        load: { intervalMs: 200 },
      }),
      bus,
      nodeRpc: rpcSchema.parse({ transport: 'local', defaultTimeoutMs: 3000 }),
      attachChild: (child) => {
        if (child.pid) pids.add(child.pid);
        bus.attachChild(child);
      },
      logLevel: 'warn',
      loadMeter: fixedLoad,
    });
    const joined = new Promise<void>((resolve) => agent.once('joined', () => resolve()));
    await agent.start();
    await joined;
  });

  after(async () => {
    await agent?.stop();
    await manager?.stop();
    await bus.close();
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('pre-starts nodes that answer on their own RPC ids', async () => {
    const nodes = agent.listNodes();
    assert.equal(nodes.length, 2);
    for (const n of nodes) {
      assert.equal(n.state, 'idle');
      assert.equal(await bus.call(n.id, 'ping', []), 'pong');
      const info = await bus.call<{ pid: number; role: string }>(n.id, 'info', []);
      assert.equal(info.pid, n.pid);
      assert.equal(info.role, 'webrtc'); // webrtc nodes run their role (agents/webrtc)
    }
  });

  it('is scheduled by the cluster manager and hands out nodes per task', async () => {
    const scheduled = await bus.call<ScheduleResult>(CLUSTER_MANAGER_ID, 'schedule', [
      'webrtc',
      'task-a',
      {},
    ]);
    assert.equal(scheduled.id, agent.id);
    const a = await bus.call<string>(agent.id, 'getNode', [{ task: 'task-a' }]);
    const again = await bus.call<string>(agent.id, 'getNode', [{ task: 'task-a' }]);
    assert.equal(again, a, 'a task keeps its node');
    const b = await bus.call<string>(agent.id, 'getNode', [{ task: 'task-b' }]);
    assert.equal(b, a, 'maxTasksPerNode 2: the busy node is filled first');
    const c = await bus.call<string>(agent.id, 'getNode', [{ task: 'task-c' }]);
    assert.notEqual(c, a);
    assert.equal(await bus.call(agent.id, 'queryNode', ['task-c']), c);
    assert.equal(await bus.call(agent.id, 'queryNode', ['nope']), null);
    // Spares are topped up to `prerun` idle nodes, within `max`.
    await waitUntil(() => agent.listNodes().length === 4, 10_000, 'spares topped up');
  });

  it('rejects malformed requests with a validation error', async () => {
    await assert.rejects(bus.call(agent.id, 'getNode', [{ task: 42 }]), { name: 'ValidationError' });
    await assert.rejects(bus.call(agent.id, 'getNode', [{}]), { name: 'ValidationError' });
  });

  it('refuses a task when every node is full', async () => {
    await bus.call(agent.id, 'getNode', [{ task: 'task-d' }]);
    await bus.call(agent.id, 'getNode', [{ task: 'task-e' }]);
    await bus.call(agent.id, 'getNode', [{ task: 'task-f' }]);
    await bus.call(agent.id, 'getNode', [{ task: 'task-g' }]);
    await bus.call(agent.id, 'getNode', [{ task: 'task-h' }]);
    await assert.rejects(bus.call(agent.id, 'getNode', [{ task: 'task-i' }], { timeoutMs: 5000 }), {
      name: 'NodePoolExhaustedError',
    });
  });

  it('a crashed node takes nothing else with it: event, tasks freed, replacement started', async () => {
    const before = agent.listNodes();
    const victim = before.find((n) => n.tasks.includes('task-c')) as NodeView;
    const siblings = before.filter((n) => n.id !== victim.id);
    process.kill(victim.pid, 'SIGKILL');
    await waitUntil(() => lost.some((e) => e.nodeId === victim.id), 5000, 'node.lost event');
    const event = lost.find((e) => e.nodeId === victim.id) as NodeLostEvent;
    assert.deepEqual(event.tasks.sort(), victim.tasks.sort());
    assert.equal(event.signal, 'SIGKILL');
    assert.equal(event.agentId, agent.id);
    for (const s of siblings) assert.equal(await bus.call(s.id, 'ping', []), 'pong', `sibling ${s.id} alive`);
    assert.equal(
      await bus.call(agent.id, 'queryNode', ['task-c']),
      null,
      'its tasks are gone from the agent',
    );
    // The freed room makes a replacement node possible again.
    await waitUntil(() => agent.listNodes().length === 4, 10_000, 'replacement node started');
    assert.ok(!agent.listNodes().some((n) => n.id === victim.id));
    const fresh = await bus.call<string>(agent.id, 'getNode', [{ task: 'task-c' }]);
    assert.equal(await bus.call(fresh, 'ping', []), 'pong');
  });

  it('recycling every task of a node returns it to the idle pool (reuse)', async () => {
    const node = await bus.call<string>(agent.id, 'queryNode', ['task-a']);
    await bus.call(agent.id, 'recycleNode', [node, 'task-a']);
    await bus.call(agent.id, 'recycleNode', [node, 'task-b']);
    const view = agent.listNodes().find((n) => n.id === node) as NodeView;
    assert.equal(view.state, 'idle');
  });

  it('stop ends every node process', async () => {
    const nodePids = agent.listNodes().map((n) => n.pid);
    await agent.stop();
    await waitUntil(() => nodePids.every((pid) => !alive(pid)), 8000, 'node processes gone');
    assert.equal(agent.listNodes().length, 0);
  });
});
