/**
 * Cluster mode with a real RabbitMQ and real processes started by the `mediaspread` command:
 * cluster-manager failover, worker loss, node crash isolation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NODE_LOST_TOPIC, type NodeLostEvent, type NodeView } from '../../agents/protocol.js';
import {
  CLUSTER_MANAGER_ID,
  type ScheduleResult,
  WORKER_LOST_TOPIC,
  type WorkerLostEvent,
  type WorkerView,
} from '../../cluster-manager/protocol.js';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import { type CliProcess, startCli, writeTempConfig } from '../support/cli-process.js';
import { type PrivateRabbit, startPrivateRabbit } from '../support/rabbitmq.js';
import { waitUntil } from '../support/wait-until.js';

describe('cluster mode on RabbitMQ', { timeout: 180_000 }, () => {
  let rabbit: PrivateRabbit;
  let bus: AmqpBus;
  let config: string;
  const procs: CliProcess[] = [];
  const workerLost: WorkerLostEvent[] = [];
  const nodeLost: NodeLostEvent[] = [];

  const start = (args: string[]): CliProcess => {
    const p = startCli([...args, '--config', config]);
    procs.push(p);
    return p;
  };
  const startAgent = async (id: string): Promise<CliProcess> => {
    const p = startCli(['start', 'sip-agent', '--bare', '--config', config], {
      MEDIASPREAD__agents__sip__id: id,
    });
    procs.push(p);
    await waitUntil(
      async () => {
        const workers = await bus
          .call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', ['sip'])
          .catch(() => []);
        return workers.some((w) => w.id === id);
      },
      20_000,
      `${id} joined`,
    );
    return p;
  };
  const scheduleWithin = async (task: string, ms: number): Promise<ScheduleResult> => {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        return await bus.call<ScheduleResult>(CLUSTER_MANAGER_ID, 'schedule', ['sip', task, {}], {
          timeoutMs: 1000,
        });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  before(async () => {
    rabbit = await startPrivateRabbit();
    config = writeTempConfig(
      [
        '[log]',
        'level = "info"',
        '[rpc]',
        'transport = "amqp"',
        `amqpUrl = "${rabbit.url}"`,
        '[cluster]',
        'secret = "test-cluster-secret"',
        '[clusterManager]',
        'keepAliveIntervalMs = 1000',
        'recoveryTimeMs = 1500',
        '[agents.sip.nodes]',
        'prerun = 1',
        'max = 4',
      ].join('\n'),
    );
    bus = await AmqpBus.connect({ url: rabbit.url, defaultTimeoutMs: 10_000 });
    await bus.subscribe(WORKER_LOST_TOPIC, (e) => workerLost.push(e as WorkerLostEvent));
    await bus.subscribe(NODE_LOST_TOPIC, (e) => nodeLost.push(e as NodeLostEvent));
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop(3000)));
    await bus?.close();
    await rabbit?.stop();
  });

  let cm1: CliProcess;
  let agentA: CliProcess;
  let agentB: CliProcess;

  it('a cluster manager, a standby and two agents come up', async () => {
    cm1 = start(['start', 'cluster-manager']);
    await waitUntil(
      async () => (await bus.call(CLUSTER_MANAGER_ID, 'getWorkers', []).catch(() => null)) !== null,
      20_000,
      'first cluster manager active',
    );
    start(['start', 'cluster-manager']);
    agentA = await startAgent('agent-a');
    agentB = await startAgent('agent-b');
    const workers = await bus.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', ['sip']);
    assert.deepEqual(workers.map((w) => w.id).sort(), ['agent-a', 'agent-b']);
  });

  it('kill -9 of the active cluster manager: the standby answers schedule within 5 s, tasks kept', async () => {
    // A task running on a node: after the failover it must stay on its worker.
    const held = 'room-held';
    const heldOn = await scheduleWithin(held, 2000);
    await bus.call(heldOn.id, 'getNode', [{ task: held }]);
    await waitUntil(
      async () =>
        (await bus.call<WorkerView>(CLUSTER_MANAGER_ID, 'getWorker', [heldOn.id])).tasks.includes(held),
      3000,
      'task picked up',
    );
    process.kill(cm1.pid, 'SIGKILL');
    const killedAt = Date.now();
    const fresh = await scheduleWithin('room-after-failover', 5000);
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs < 5000, `standby took ${tookMs} ms`);
    assert.ok(['agent-a', 'agent-b'].includes(fresh.id));
    // The agents re-joined the new manager with their tasks.
    await waitUntil(
      async () => (await bus.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', ['sip'])).length === 2,
      5000,
      'agents re-joined the new manager',
    );
    const again = await scheduleWithin(held, 2000);
    assert.equal(again.id, heldOn.id, 'a running task keeps its worker across the failover');
    const view = await bus.call<WorkerView>(CLUSTER_MANAGER_ID, 'getWorker', [heldOn.id]);
    assert.ok(view.tasks.includes(held));
  });

  it('kill -9 of an agent: worker.lost within 4 s with its tasks; they go elsewhere next time', async () => {
    const task = 'room-lost';
    let placed = await scheduleWithin(task, 2000);
    if (placed.id !== 'agent-a') {
      // Put the task on agent-a so that killing it is what we test.
      await bus.call(CLUSTER_MANAGER_ID, 'unschedule', [placed.id, task]);
      await bus.call(CLUSTER_MANAGER_ID, 'setState', ['agent-b', 'draining']);
      placed = await scheduleWithin(task, 2000);
      await bus.call(CLUSTER_MANAGER_ID, 'setState', ['agent-b', 'in-service']);
    }
    assert.equal(placed.id, 'agent-a');
    await bus.call(placed.id, 'getNode', [{ task }]);
    const killedAt = Date.now();
    process.kill(agentA.pid, 'SIGKILL');
    await waitUntil(() => workerLost.some((e) => e.workerId === 'agent-a'), 4000, 'worker.lost for agent-a');
    const event = workerLost.find((e) => e.workerId === 'agent-a') as WorkerLostEvent;
    assert.ok(Date.now() - killedAt < 4000);
    assert.ok(event.tasks.includes(task), `lost tasks ${event.tasks}`);
    assert.equal(event.reason, 'keep-alive-timeout');
    const moved = await scheduleWithin(task, 2000);
    assert.equal(moved.id, 'agent-b');
  });

  it('kill -9 of a node: its agent and sibling nodes live on; node.lost published; replaced', async () => {
    const nodeA = await bus.call<string>('agent-b', 'getNode', [{ task: 'iso-1' }]);
    const nodeB = await bus.call<string>('agent-b', 'getNode', [{ task: 'iso-2' }]);
    assert.notEqual(nodeA, nodeB);
    const nodes = await bus.call<NodeView[]>('agent-b', 'listNodes', []);
    const victim = nodes.find((n) => n.id === nodeA) as NodeView;
    process.kill(victim.pid, 'SIGKILL');
    await waitUntil(() => nodeLost.some((e) => e.nodeId === nodeA), 5000, 'node.lost');
    assert.deepEqual(nodeLost.find((e) => e.nodeId === nodeA)?.tasks, ['iso-1']);
    assert.equal(await bus.call(nodeB, 'ping', []), 'pong', 'sibling node alive');
    const after = await bus.call<NodeView[]>('agent-b', 'listNodes', []);
    assert.ok(!after.some((n) => n.id === nodeA));
    const replacement = await bus.call<string>('agent-b', 'getNode', [{ task: 'iso-1' }]);
    assert.equal(await bus.call(replacement, 'ping', []), 'pong');
  });

  it('SIGTERM stops an agent gracefully: nodes first, then it leaves', async () => {
    const nodes = await bus.call<NodeView[]>('agent-b', 'listNodes', []);
    await agentB.stop(8000);
    const { code } = await agentB.exited;
    assert.equal(code, 0);
    for (const n of nodes) assert.throws(() => process.kill(n.pid, 0), 'node process gone');
    const workers = await bus.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', ['sip']);
    assert.ok(!workers.some((w) => w.id === 'agent-b'), 'left the cluster');
  });
});
