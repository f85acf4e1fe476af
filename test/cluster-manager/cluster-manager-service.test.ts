/** The ClusterManager service on a real in-process bus: RPC, worker.lost, leadership and failover. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, describe, it } from 'node:test';
import { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import type { ClusterManagerConfigInput } from '../../cluster-manager/config.js';
import { NoWorkerAvailableError } from '../../cluster-manager/errors.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import {
  CLUSTER_MANAGER_ID,
  type JoinResult,
  type KeepAliveResult,
  type ScheduleResult,
  WORKER_LOST_TOPIC,
  type WorkerJoin,
  type WorkerLostEvent,
  type WorkerView,
} from '../../cluster-manager/protocol.js';
import { ConfigError } from '../../common/config/config-error.js';
import { NotFoundError, ValidationError } from '../../common/errors.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { Leadership, RpcBus } from '../../common/rpc/rpc-bus.js';
import { RpcTargetUnavailableError } from '../../common/rpc/rpc-errors.js';
import { waitUntil } from '../support/wait-until.js';
import { config } from './helpers.js';

const cm = <T>(bus: RpcBus, method: string, ...args: unknown[]): Promise<T> =>
  bus.call<T>(CLUSTER_MANAGER_ID, method, args, { timeoutMs: 2000 });

const worker = (id: string, fields: Partial<WorkerJoin> = {}): WorkerJoin => ({
  id,
  purpose: 'conference',
  capacity: { isps: [], regions: [] },
  maxLoad: 0.9,
  ...fields,
});

/** Resolves on the emitter's next `event`; fails after `ms`. */
const next = (emitter: ClusterManager, event: 'active' | 'standby', ms = 3000) =>
  once(emitter, event, { signal: AbortSignal.timeout(ms) });

/** A bus whose leadership the test can take away, as a broker connection loss would. */
class RevocableLeadershipBus extends LocalBus {
  private current: { inner: Leadership; revoke: () => void } | undefined;

  override async acquireLeadership(name: string): Promise<Leadership> {
    const inner = await super.acquireLeadership(name);
    let revoke!: () => void;
    const revoked = new Promise<void>((resolve) => {
      revoke = resolve;
    });
    this.current = { inner, revoke };
    return { lost: Promise.race([inner.lost, revoked]), release: () => inner.release() };
  }

  async revoke(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    current?.revoke();
    await current?.inner.release();
  }
}

const managers: ClusterManager[] = [];
const buses: RpcBus[] = [];

function newBus(): LocalBus {
  const bus = new LocalBus({ defaultTimeoutMs: 2000 });
  buses.push(bus);
  return bus;
}

function newManager(bus: RpcBus, overrides: ClusterManagerConfigInput = {}): ClusterManager {
  const manager = new ClusterManager(bus, config({ recoveryTimeMs: 0, ...overrides }), { retryDelayMs: 20 });
  managers.push(manager);
  return manager;
}

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await Promise.all(buses.splice(0).map((b) => b.close()));
});
after(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  await Promise.all(buses.map((b) => b.close()));
});

describe('cluster manager over a bus', () => {
  it('serves join, keepAlive, schedule, pickUp, getWorker(s) while active', async () => {
    const bus = newBus();
    const manager = newManager(bus, { keepAliveIntervalMs: 500 });
    const active = next(manager, 'active');
    await manager.start();
    await active;
    assert.equal(manager.isActive, true);

    assert.equal(await cm<KeepAliveResult>(bus, 'keepAlive', 'c1', 0), 'unknown-worker');
    assert.deepEqual(await cm<JoinResult>(bus, 'join', worker('c1', { info: { host: 'h' } })), {
      keepAliveIntervalMs: 500,
    });
    assert.equal(await cm<KeepAliveResult>(bus, 'keepAlive', 'c1', 0.25), 'ok');
    // A null isp/region (as some clients send) means no preference.
    assert.equal(
      (await cm<ScheduleResult>(bus, 'schedule', 'conference', 'other', { isp: null, region: null })).id,
      'c1',
    );
    await cm(bus, 'unschedule', 'c1', 'other');
    const scheduled = await cm<ScheduleResult>(bus, 'schedule', 'conference', 'room1', { isp: 'x' });
    assert.deepEqual(scheduled, { id: 'c1', purpose: 'conference', capacity: { isps: [], regions: [] } });
    assert.equal(await cm(bus, 'getScheduled', 'conference', 'room1'), 'c1');
    assert.equal(await cm(bus, 'pickUp', 'c1', 'room1'), undefined);
    await cm(bus, 'reportLoad', 'c1', 0.5);
    await cm(bus, 'setState', 'c1', 'draining');
    const view = await cm<WorkerView>(bus, 'getWorker', 'c1');
    assert.equal(view.load, 0.5);
    assert.equal(view.state, 'draining');
    assert.deepEqual(view.tasks, ['room1']);
    assert.deepEqual(view.info, { host: 'h' });
    assert.equal((await cm<WorkerView[]>(bus, 'getWorkers')).length, 1);
    assert.equal((await cm<WorkerView[]>(bus, 'getWorkers', 'video')).length, 0);
    await cm(bus, 'layDown', 'c1', 'room1');
    await cm(bus, 'unschedule', 'c1', 'room1');
    assert.equal(await cm(bus, 'getScheduled', 'conference', 'room1'), null);
    await cm(bus, 'leave', 'c1');
    assert.deepEqual(await cm(bus, 'getWorkers'), []);
  });

  it('named errors cross RPC: ValidationError, NoWorkerAvailableError, NotFoundError', async () => {
    const bus = newBus();
    const manager = newManager(bus);
    const active = next(manager, 'active');
    await manager.start();
    await active;

    const invalid: [string, unknown[]][] = [
      ['join', [{ id: 'x', purpose: 'nope', capacity: { isps: [], regions: [] }, maxLoad: 0.5 }]],
      ['join', [{ id: '', purpose: 'webrtc', capacity: { isps: [], regions: [] }, maxLoad: 0.5 }]],
      ['join', [{ id: 'x', purpose: 'webrtc', capacity: { isps: 'a', regions: [] }, maxLoad: 0.5 }]],
      ['join', [{ id: 'x', purpose: 'webrtc', capacity: { isps: [], regions: [] }, maxLoad: 2 }]],
      [
        'join',
        [{ id: 'x', purpose: 'webrtc', capacity: { isps: [], regions: [] }, maxLoad: 0.5, tasks: [1] }],
      ],
      ['join', []],
      ['keepAlive', ['x', -1]],
      ['keepAlive', ['x', '0.5']],
      ['reportLoad', ['x']],
      ['setState', ['x', 'sleeping']],
      ['pickUp', ['x', 42]],
      ['schedule', ['nope', 't', {}]],
      ['schedule', ['webrtc', 't', { isp: 5 }]],
      ['schedule', ['webrtc', 't', {}, -5]],
      ['schedule', ['webrtc', 't', {}, 1000, 'extra']],
      ['getScheduled', ['webrtc']],
      ['getWorkers', ['nope']],
      ['getWorker', [null]],
      ['leave', [{}]],
      ['unschedule', ['x']],
      ['layDown', []],
    ];
    for (const [method, args] of invalid) {
      await assert.rejects(
        bus.call(CLUSTER_MANAGER_ID, method, args),
        (err: unknown) => err instanceof ValidationError && err.code === 'INVALID_ARGUMENT',
        `${method}(${JSON.stringify(args)})`,
      );
    }
    // Nothing was registered by the rejected joins.
    assert.deepEqual(await cm(bus, 'getWorkers'), []);

    await assert.rejects(
      cm(bus, 'schedule', 'webrtc', 't', {}),
      (err: unknown) => err instanceof NoWorkerAvailableError && err.code === 'NO_WORKER',
    );
    await assert.rejects(cm(bus, 'getWorker', 'ghost'), NotFoundError);
  });

  it('drops a silent worker and publishes worker.lost with its tasks; leave publishes too', async () => {
    const bus = newBus();
    const lost: WorkerLostEvent[] = [];
    await bus.subscribe(WORKER_LOST_TOPIC, (e) => lost.push(e as WorkerLostEvent));
    const manager = newManager(bus, { keepAliveIntervalMs: 40, missedKeepAlivesBeforeDrop: 3 });
    const emitted: WorkerLostEvent[] = [];
    manager.on('worker-lost', (e) => emitted.push(e));
    const active = next(manager, 'active');
    await manager.start();
    await active;

    await cm(bus, 'join', worker('silent', { tasks: ['room-a'] }));
    await cm(bus, 'join', worker('leaver'));
    await cm(bus, 'pickUp', 'leaver', 'room-b');
    const joinedAt = Date.now();
    await cm(bus, 'leave', 'leaver');
    await waitUntil(() => lost.length >= 2, 3000, 'worker.lost for the leaver and the silent worker');
    const silentFor = Date.now() - joinedAt;
    assert.ok(silentFor >= 100, `dropped after ${silentFor} ms, before 3 intervals of 40 ms`);
    assert.deepEqual(lost, [
      { workerId: 'leaver', purpose: 'conference', tasks: ['room-b'], reason: 'left' },
      { workerId: 'silent', purpose: 'conference', tasks: ['room-a'], reason: 'keep-alive-timeout' },
    ]);
    assert.deepEqual(emitted, lost);
    assert.equal(await cm(bus, 'keepAlive', 'silent', 0), 'unknown-worker');
  });

  it('a worker that keeps sending keep-alives stays', async () => {
    const bus = newBus();
    const manager = newManager(bus, { keepAliveIntervalMs: 100 });
    const active = next(manager, 'active');
    await manager.start();
    await active;
    await cm(bus, 'join', worker('steady'));
    // 15 × 40 ms = twice the 300 ms drop limit.
    for (let i = 0; i < 15; i++) {
      assert.equal(await cm(bus, 'keepAlive', 'steady', 0.1), 'ok', `keep-alive ${i}`);
      await new Promise((r) => setTimeout(r, 40));
    }
    assert.equal((await cm<WorkerView[]>(bus, 'getWorkers')).length, 1);
  });

  it('two instances: exactly one active; stopping it makes the other active and agents rebuild it', async () => {
    const bus = newBus();
    const first = newManager(bus);
    const second = newManager(bus);
    const firstActive = next(first, 'active');
    await first.start();
    await firstActive;
    await second.start();
    // Give the second a chance to (wrongly) become active.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([first.isActive, second.isActive], [true, false]);

    await cm(bus, 'join', worker('agent-a'));
    await cm(bus, 'join', worker('agent-b'));
    const placed = await cm<ScheduleResult>(bus, 'schedule', 'conference', 'room-1', {});
    await cm(bus, 'pickUp', placed.id, 'room-1');

    const secondActive = next(second, 'active');
    await first.stop();
    await secondActive;
    assert.deepEqual([first.isActive, second.isActive], [false, true]);

    // The new active knows nothing: agents learn it from their keep-alives and re-join.
    for (const id of ['agent-a', 'agent-b']) {
      assert.equal(await cm(bus, 'keepAlive', id, 0), 'unknown-worker');
      await cm(bus, 'join', worker(id, { tasks: id === placed.id ? ['room-1'] : [] }));
    }
    assert.equal(await cm(bus, 'getScheduled', 'conference', 'room-1'), placed.id);
    const again = await cm<ScheduleResult>(bus, 'schedule', 'conference', 'room-1', {});
    assert.equal(again.id, placed.id);

    await second.stop();
    await assert.rejects(cm(bus, 'getWorkers'), RpcTargetUnavailableError);
  });

  it('after a failover, schedule of an unknown task waits for agents to re-join (recoveryTimeMs)', async () => {
    const bus = newBus();
    const first = newManager(bus, { recoveryTimeMs: 0 });
    const second = newManager(bus, { recoveryTimeMs: 1000 });
    const firstActive = next(first, 'active');
    await first.start();
    await firstActive;
    await second.start();
    const secondActive = next(second, 'active');
    await first.stop();
    await secondActive;

    // agent-idle re-joins at once, agent-busy (running room-9) a little later.
    await cm(bus, 'join', worker('agent-idle'));
    const scheduling = cm<ScheduleResult>(bus, 'schedule', 'conference', 'room-9', {});
    const lookingUp = cm<string | null>(bus, 'getScheduled', 'conference', 'room-8');
    await new Promise((r) => setTimeout(r, 50));
    await cm(bus, 'join', worker('agent-busy', { tasks: ['room-9', 'room-8'] }));
    assert.equal((await scheduling).id, 'agent-busy');
    assert.equal(await lookingUp, 'agent-busy');
    // Known tasks and later calls do not wait.
    assert.equal((await cm<ScheduleResult>(bus, 'schedule', 'conference', 'room-9', {})).id, 'agent-busy');
  });

  it('losing leadership: stops serving, forgets its state, competes again', async () => {
    const bus = new RevocableLeadershipBus({ defaultTimeoutMs: 2000 });
    buses.push(bus);
    const manager = newManager(bus);
    let active = next(manager, 'active');
    await manager.start();
    await active;
    await cm(bus, 'join', worker('agent-a', { tasks: ['room'] }));

    const standby = next(manager, 'standby');
    active = next(manager, 'active');
    await bus.revoke();
    await standby;
    await active;
    assert.equal(manager.isActive, true);
    assert.equal(await cm(bus, 'keepAlive', 'agent-a', 0), 'unknown-worker');
    assert.equal(await cm(bus, 'getScheduled', 'conference', 'room'), null);
  });

  it('survives many leadership changes without leaking listeners', async (t) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const bus = new RevocableLeadershipBus({ defaultTimeoutMs: 2000 });
    buses.push(bus);
    const manager = newManager(bus);
    const active = next(manager, 'active');
    await manager.start();
    await active;
    for (let i = 0; i < 15; i++) {
      const again = next(manager, 'active');
      await bus.revoke();
      await again;
      await cm(bus, 'join', worker(`w${i}`));
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      (await cm<WorkerView[]>(bus, 'getWorkers')).map((w) => w.id),
      ['w14'],
    );
  });

  it('stop of a standby that never led does not hang, and start/stop are idempotent', async () => {
    const bus = newBus();
    const leader = newManager(bus);
    const standby = newManager(bus);
    const active = next(leader, 'active');
    await leader.start();
    await leader.start();
    await active;
    await standby.start();
    await standby.stop();
    await standby.stop();
    assert.equal(standby.isActive, false);
    await leader.stop();
    assert.equal(leader.isActive, false);
  });
});

describe('runClusterManager', () => {
  it('validates its config section and starts competing', async () => {
    const bus = newBus();
    await assert.rejects(
      runClusterManager(bus, { keepAliveIntervalMs: -1 }),
      (err: unknown) =>
        err instanceof ConfigError && err.issues.some((i) => i.field === 'keepAliveIntervalMs'),
    );
    await assert.rejects(
      runClusterManager(bus, {
        strategies: { video: 'best-effort' },
      } as unknown as ClusterManagerConfigInput),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.field === 'strategies.video'),
    );
    const manager = await runClusterManager(bus, { keepAliveIntervalMs: 250, recoveryTimeMs: 0 });
    managers.push(manager);
    await waitUntil(() => manager.isActive, 3000, 'manager active');
    assert.deepEqual(await cm(bus, 'join', worker('w')), { keepAliveIntervalMs: 250 });
  });
});
