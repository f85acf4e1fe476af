import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoWorkerAvailableError } from '../../cluster-manager/errors.js';
import type { Purpose, WorkerJoin, WorkerLostEvent } from '../../cluster-manager/protocol.js';
import { Scheduler } from '../../cluster-manager/scheduler.js';
import { NotFoundError } from '../../common/errors.js';
import { config, ManualClock } from './helpers.js';

const INTERVAL = 1000;
const RESERVE = 60_000;

function setup(strategies: Partial<Record<Purpose, 'least-used' | 'round-robin' | 'last-used'>> = {}) {
  const clock = new ManualClock();
  const scheduler = new Scheduler({
    config: config({ keepAliveIntervalMs: INTERVAL, reserveTimeMs: RESERVE, strategies }),
    clock: clock.now,
  });
  const lost: WorkerLostEvent[] = [];
  scheduler.on('worker-lost', (e) => lost.push(e));
  const join = (id: string, fields: Partial<WorkerJoin> = {}) =>
    scheduler.join({ id, purpose: 'webrtc', capacity: { isps: [], regions: [] }, maxLoad: 0.85, ...fields });
  return { clock, scheduler, lost, join };
}

describe('worker registry', () => {
  it('join returns the keep-alive interval and lists the worker', () => {
    const { scheduler, join } = setup();
    assert.deepEqual(join('w1', { info: { host: 'h1' } }), { keepAliveIntervalMs: INTERVAL });
    const [view] = scheduler.getWorkers('webrtc');
    assert.equal(view?.id, 'w1');
    assert.equal(view?.state, 'in-service');
    assert.equal(view?.load, 0);
    assert.deepEqual(view?.info, { host: 'h1' });
    assert.deepEqual(scheduler.getWorkers('video'), []);
  });

  it('keepAlive of an unknown worker says unknown-worker; of a known one ok and updates load', () => {
    const { scheduler, join, clock } = setup();
    assert.equal(scheduler.keepAlive('nobody', 0.1), 'unknown-worker');
    join('w1');
    clock.advance(400);
    assert.equal(scheduler.getWorker('w1').lastSeenAgoMs, 400);
    assert.equal(scheduler.keepAlive('w1', 0.3), 'ok');
    assert.equal(scheduler.getWorker('w1').load, 0.3);
    assert.equal(scheduler.getWorker('w1').lastSeenAgoMs, 0);
  });

  it('getWorker, reportLoad, setState of unknown workers throw NotFoundError', () => {
    const { scheduler } = setup();
    assert.throws(() => scheduler.getWorker('x'), NotFoundError);
    assert.throws(() => scheduler.reportLoad('x', 0.1), NotFoundError);
    assert.throws(() => scheduler.setState('x', 'draining'), NotFoundError);
    assert.throws(() => scheduler.pickUp('x', 't'), NotFoundError);
  });

  it('a worker silent for 3 intervals is dropped and worker.lost carries its tasks', () => {
    const { scheduler, join, clock, lost } = setup();
    join('w1');
    join('w2');
    scheduler.schedule('webrtc', 'reserved-task', {});
    scheduler.pickUp('w1', 'held-task');
    const holder = scheduler.getScheduled('webrtc', 'reserved-task');
    for (let i = 0; i < 3; i++) {
      clock.advance(INTERVAL);
      scheduler.keepAlive('w2', 0.1);
      assert.deepEqual(scheduler.tick(), [], `no drop after ${i + 1} intervals`);
    }
    clock.advance(1);
    scheduler.keepAlive('w2', 0.1);
    const dropped = scheduler.tick();
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]?.workerId, 'w1');
    assert.equal(dropped[0]?.reason, 'keep-alive-timeout');
    assert.equal(dropped[0]?.purpose, 'webrtc');
    const expectedTasks = holder === 'w1' ? ['held-task', 'reserved-task'] : ['held-task'];
    assert.deepEqual([...(dropped[0]?.tasks ?? [])].sort(), expectedTasks);
    assert.deepEqual(lost, dropped, 'emitted as well as returned');
    assert.equal(scheduler.keepAlive('w1', 0), 'unknown-worker');
    assert.deepEqual(
      scheduler.getWorkers().map((w) => w.id),
      ['w2'],
    );
  });

  it('a silent worker without tasks is still reported lost (with no tasks)', () => {
    const { scheduler, join, clock, lost } = setup();
    join('w1');
    clock.advance(3 * INTERVAL + 1);
    scheduler.tick();
    assert.deepEqual(lost, [{ workerId: 'w1', purpose: 'webrtc', tasks: [], reason: 'keep-alive-timeout' }]);
  });

  it('tasks of a dropped worker go elsewhere on the next schedule', () => {
    const { scheduler, join, clock } = setup({ webrtc: 'last-used' });
    join('w1');
    assert.equal(scheduler.schedule('webrtc', 'room1', {}).id, 'w1');
    scheduler.pickUp('w1', 'room1');
    join('w2');
    assert.equal(scheduler.schedule('webrtc', 'room1', {}).id, 'w1', 'task keeps its worker');
    clock.advance(2 * INTERVAL);
    scheduler.keepAlive('w2', 0);
    clock.advance(2 * INTERVAL);
    scheduler.tick();
    assert.equal(scheduler.getScheduled('webrtc', 'room1'), null);
    assert.equal(scheduler.schedule('webrtc', 'room1', {}).id, 'w2');
  });

  it('leave publishes worker.lost with reason left only when the worker held tasks', () => {
    const { scheduler, join, lost } = setup();
    join('w1');
    join('w2');
    scheduler.pickUp('w2', 't1');
    assert.equal(scheduler.leave('w1'), undefined);
    assert.equal(scheduler.leave('unknown'), undefined);
    assert.deepEqual(lost, []);
    assert.deepEqual(scheduler.leave('w2'), {
      workerId: 'w2',
      purpose: 'webrtc',
      tasks: ['t1'],
      reason: 'left',
    });
    assert.equal(lost.length, 1);
    assert.deepEqual(scheduler.getWorkers(), []);
  });

  it('join with tasks restores those assignments as held; a re-join replaces the held list', () => {
    const { scheduler, join, clock } = setup();
    join('w1', { tasks: ['a', 'b'] });
    assert.equal(scheduler.getScheduled('webrtc', 'a'), 'w1');
    // Held tasks never expire.
    clock.advance(10 * RESERVE);
    scheduler.keepAlive('w1', 0);
    scheduler.tick();
    assert.deepEqual(scheduler.getWorker('w1').tasks.sort(), ['a', 'b']);
    scheduler.schedule('webrtc', 'pending', {});
    join('w1', { tasks: ['b', 'c'] });
    assert.deepEqual(scheduler.getWorker('w1').tasks.sort(), ['b', 'c', 'pending']);
    assert.equal(scheduler.getScheduled('webrtc', 'a'), null);
  });

  it('a re-join keeps the worker and updates its fields', () => {
    const { scheduler, join } = setup();
    join('w1', { maxLoad: 0.5, load: 0.1 });
    join('w1', { maxLoad: 0.9, state: 'draining', capacity: { isps: ['tel'], regions: [] } });
    const view = scheduler.getWorker('w1');
    assert.equal(view.maxLoad, 0.9);
    assert.equal(view.load, 0.1, 'load kept when not sent');
    assert.equal(view.state, 'draining');
    assert.deepEqual(view.capacity.isps, ['tel']);
  });

  it('a re-join under another purpose replaces the worker and reports its tasks lost', () => {
    const { scheduler, join, lost } = setup();
    join('w1', { tasks: ['t'] });
    join('w1', { purpose: 'video' });
    assert.deepEqual(lost, [{ workerId: 'w1', purpose: 'webrtc', tasks: ['t'], reason: 'left' }]);
    assert.equal(scheduler.getWorker('w1').purpose, 'video');
    assert.equal(scheduler.getScheduled('webrtc', 't'), null);
  });
});

describe('scheduling', () => {
  it('no worker of the purpose → NoWorkerAvailableError with code NO_WORKER', () => {
    const { scheduler, join } = setup();
    join('w1');
    assert.throws(
      () => scheduler.schedule('video', 'mix', {}),
      (err: unknown) => err instanceof NoWorkerAvailableError && err.code === 'NO_WORKER',
    );
  });

  it('draining and overloaded workers are skipped; none left → NoWorkerAvailableError', () => {
    const { scheduler, join } = setup({ webrtc: 'least-used' });
    join('drain', { load: 0 });
    join('busy', { load: 0.85, maxLoad: 0.85 });
    join('ok', { load: 0.6 });
    scheduler.setState('drain', 'draining');
    assert.equal(scheduler.schedule('webrtc', 't1', {}).id, 'ok');
    scheduler.reportLoad('ok', 0.9);
    assert.throws(() => scheduler.schedule('webrtc', 't2', {}), NoWorkerAvailableError);
    scheduler.setState('drain', 'in-service');
    assert.equal(scheduler.schedule('webrtc', 't2', {}).id, 'drain');
    scheduler.keepAlive('busy', 0.2);
    assert.equal(scheduler.schedule('webrtc', 't3', {}).id, 'drain');
  });

  it('maxLoad 1 never refuses for load (a load cannot exceed 1)', () => {
    const { scheduler, join } = setup();
    join('full', { load: 1, maxLoad: 1 });
    assert.equal(scheduler.schedule('webrtc', 't1', {}).id, 'full');
    join('almost', { load: 0.99, maxLoad: 0.99 });
    scheduler.setState('full', 'draining');
    assert.throws(() => scheduler.schedule('webrtc', 't2', {}), NoWorkerAvailableError);
  });

  it('no worker fitting the preference → NoWorkerAvailableError', () => {
    const { scheduler, join } = setup();
    join('tel', { capacity: { isps: ['tel'], regions: [] } });
    assert.throws(() => scheduler.schedule('webrtc', 't', { isp: 'mob' }), NoWorkerAvailableError);
    assert.equal(scheduler.schedule('webrtc', 't', { isp: 'tel' }).id, 'tel');
  });

  it('returns the worker id, purpose and capacity; applies matcher then strategy', () => {
    const { scheduler, join } = setup({ webrtc: 'least-used' });
    join('a1', { capacity: { isps: [], regions: ['a'] }, load: 0.5 });
    join('a2', { capacity: { isps: [], regions: ['a'] }, load: 0.3 });
    join('b', { capacity: { isps: [], regions: ['b'] }, load: 0 });
    assert.deepEqual(scheduler.schedule('webrtc', 't', { region: 'a' }), {
      id: 'a2',
      purpose: 'webrtc',
      capacity: { isps: [], regions: ['a'] },
    });
    assert.equal(scheduler.schedule('webrtc', 't2', {}).id, 'b');
  });

  it('video tasks go to workers with the codecs', () => {
    const { scheduler } = setup();
    const cap = (encode: string[]) => ({ isps: [], regions: [], video: { encode, decode: ['vp8'] } });
    scheduler.join({ id: 'v1', purpose: 'video', capacity: cap(['vp8']), maxLoad: 0.85 });
    scheduler.join({ id: 'v2', purpose: 'video', capacity: cap(['vp8', 'h264']), maxLoad: 0.85 });
    assert.equal(scheduler.schedule('video', 'm', { video: { encode: ['h264'], decode: ['vp8'] } }).id, 'v2');
    assert.throws(
      () => scheduler.schedule('video', 'n', { video: { encode: ['av1'] } }),
      NoWorkerAvailableError,
    );
  });

  it('a task keeps its worker even when the strategy would pick another', () => {
    const { scheduler, join } = setup({ webrtc: 'round-robin' });
    join('w1');
    join('w2');
    assert.equal(scheduler.schedule('webrtc', 't', {}).id, 'w1');
    assert.equal(scheduler.schedule('webrtc', 't', {}).id, 'w1');
    assert.equal(scheduler.schedule('webrtc', 'u', {}).id, 'w2');
    // Even above max load: the task is already there.
    scheduler.reportLoad('w1', 0.99);
    assert.equal(scheduler.schedule('webrtc', 't', {}).id, 'w1');
  });

  it('the same task id under different purposes is scheduled independently', () => {
    const { scheduler, join } = setup();
    join('w1');
    scheduler.join({ id: 'c1', purpose: 'conference', capacity: { isps: [], regions: [] }, maxLoad: 1 });
    assert.equal(scheduler.schedule('webrtc', 'room', {}).id, 'w1');
    assert.equal(scheduler.schedule('conference', 'room', {}).id, 'c1');
    assert.equal(scheduler.getScheduled('webrtc', 'room'), 'w1');
    assert.equal(scheduler.getScheduled('conference', 'room'), 'c1');
  });

  it('a task on a draining worker is moved on the next schedule', () => {
    const { scheduler, join } = setup({ webrtc: 'least-used' });
    join('w1');
    join('w2', { load: 0.5 });
    assert.equal(scheduler.schedule('webrtc', 't', {}).id, 'w1');
    scheduler.setState('w1', 'draining');
    assert.equal(scheduler.schedule('webrtc', 't', {}).id, 'w2');
    assert.deepEqual(scheduler.getWorker('w1').tasks, []);
  });
});

describe('reservations', () => {
  it('a scheduled task never picked up expires after the reserve time', () => {
    const { scheduler, join, clock } = setup();
    join('w1');
    scheduler.schedule('webrtc', 't', {});
    clock.advance(RESERVE - 1);
    scheduler.keepAlive('w1', 0);
    scheduler.tick();
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
    clock.advance(1);
    assert.equal(scheduler.getScheduled('webrtc', 't'), null);
    assert.deepEqual(scheduler.getWorker('w1').tasks, []);
  });

  it('expired tasks are swept by tick and reported as task-expired', () => {
    const { scheduler, join, clock } = setup();
    const expired: string[] = [];
    scheduler.on('task-expired', (_purpose, taskId, workerId) => expired.push(`${taskId}@${workerId}`));
    join('w1');
    scheduler.schedule('webrtc', 't', {});
    clock.advance(RESERVE);
    scheduler.keepAlive('w1', 0);
    scheduler.tick();
    assert.deepEqual(expired, ['t@w1']);
  });

  it('a per-call reserve time overrides the default', () => {
    const { scheduler, join, clock } = setup();
    join('w1');
    scheduler.schedule('webrtc', 't', {}, 500);
    clock.advance(499);
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
    clock.advance(1);
    assert.equal(scheduler.getScheduled('webrtc', 't'), null);
  });

  it('scheduling a reserved task again renews its reservation', () => {
    const { scheduler, join, clock } = setup();
    join('w1');
    scheduler.schedule('webrtc', 't', {});
    clock.advance(RESERVE - 10);
    scheduler.schedule('webrtc', 't', {});
    clock.advance(RESERVE - 10);
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
  });

  it('pickUp holds a task with no expiry; layDown starts the reserve timer', () => {
    const { scheduler, join, clock } = setup();
    join('w1');
    scheduler.schedule('webrtc', 't', {}, 1000);
    scheduler.pickUp('w1', 't');
    clock.advance(5 * RESERVE);
    scheduler.keepAlive('w1', 0);
    scheduler.tick();
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
    scheduler.layDown('w1', 't');
    clock.advance(999);
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1', 'the schedule call reserve time applies');
    clock.advance(1);
    assert.equal(scheduler.getScheduled('webrtc', 't'), null);
  });

  it('layDown with the default reserve time, then pickUp again cancels the expiry', () => {
    const { scheduler, join, clock } = setup();
    join('w1');
    scheduler.pickUp('w1', 't');
    scheduler.layDown('w1', 't');
    clock.advance(RESERVE - 1);
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
    scheduler.pickUp('w1', 't');
    clock.advance(RESERVE);
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
  });

  it('layDown and unschedule by another worker or of unknown tasks are ignored', () => {
    const { scheduler, join } = setup();
    join('w1');
    join('w2');
    scheduler.pickUp('w1', 't');
    scheduler.layDown('w2', 't');
    scheduler.unschedule('w2', 't');
    scheduler.layDown('w1', 'nothing');
    scheduler.unschedule('w1', 'nothing');
    scheduler.unschedule('ghost', 't');
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w1');
  });

  it('expired reservations are not reported in worker.lost nor in the worker view', () => {
    const { scheduler, join, clock, lost } = setup();
    join('w1');
    scheduler.schedule('webrtc', 'short', {}, 100);
    scheduler.pickUp('w1', 'held');
    clock.advance(100);
    assert.deepEqual(scheduler.getWorker('w1').tasks, ['held']);
    scheduler.leave('w1');
    assert.deepEqual(lost, [{ workerId: 'w1', purpose: 'webrtc', tasks: ['held'], reason: 'left' }]);
  });

  it('unschedule frees a task at once', () => {
    const { scheduler, join } = setup();
    join('w1');
    scheduler.schedule('webrtc', 't', {});
    scheduler.pickUp('w1', 't');
    scheduler.unschedule('w1', 't');
    assert.equal(scheduler.getScheduled('webrtc', 't'), null);
    assert.deepEqual(scheduler.getWorker('w1').tasks, []);
  });

  it('pickUp by another worker moves the task to it', () => {
    const { scheduler, join } = setup();
    join('w1');
    join('w2');
    scheduler.pickUp('w1', 't');
    scheduler.pickUp('w2', 't');
    assert.equal(scheduler.getScheduled('webrtc', 't'), 'w2');
    assert.deepEqual(scheduler.getWorker('w1').tasks, []);
  });

  it('clear forgets workers and tasks', () => {
    const { scheduler, join } = setup();
    join('w1', { tasks: ['t'] });
    scheduler.clear();
    assert.deepEqual(scheduler.getWorkers(), []);
    assert.equal(scheduler.getScheduled('webrtc', 't'), null);
    assert.equal(scheduler.keepAlive('w1', 0), 'unknown-worker');
  });
});
