import { EventEmitter } from 'node:events';
import { NotFoundError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { SchedulingCandidate } from './candidate.js';
import { type Clock, systemClock } from './clock.js';
import type { ClusterManagerConfig } from './config.js';
import { NoWorkerAvailableError } from './errors.js';
import { matcherForPurpose } from './matchers/matcher-for-purpose.js';
import type {
  JoinResult,
  KeepAliveResult,
  Purpose,
  SchedulePreference,
  ScheduleResult,
  WorkerJoin,
  WorkerLostEvent,
  WorkerState,
  WorkerView,
} from './protocol.js';
import { createStrategy } from './strategies/create-strategy.js';
import type { RandomSource, SchedulingStrategy } from './strategies/strategy.js';
import { TaskAssignments } from './task-assignments.js';
import { type WorkerRecord, WorkerRegistry } from './worker-registry.js';

const log = createLogger('cluster-manager.scheduler');

export interface SchedulerOptions {
  config: ClusterManagerConfig;
  clock?: Clock;
  random?: RandomSource;
}

export interface SchedulerEvents {
  'worker-joined': [view: WorkerView];
  'worker-lost': [event: WorkerLostEvent];
  'task-expired': [purpose: Purpose, taskId: string, workerId: string];
}

/**
 * The cluster manager's state and rules, without any I/O: the worker registry, which task is
 * on which worker, and scheduling. Time comes from the injected clock; `tick()` (called
 * periodically by the service) drops silent workers and forgets expired reservations.
 * Arguments are trusted here: the RPC layer validates them.
 */
export class Scheduler extends EventEmitter<SchedulerEvents> {
  private readonly config: ClusterManagerConfig;
  private readonly clock: Clock;
  private readonly random: RandomSource | undefined;
  private readonly workers = new WorkerRegistry();
  private readonly tasks = new TaskAssignments();
  private strategies = new Map<Purpose, SchedulingStrategy>();

  constructor(options: SchedulerOptions) {
    super();
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.random = options.random;
  }

  /** Adds or refreshes a worker; the tasks it lists are (re)assigned to it as held. */
  join(worker: WorkerJoin): JoinResult {
    const now = this.clock();
    const { record, isNew, replaced } = this.workers.upsert(worker, now);
    if (replaced) this.dropWorker(replaced, 'left');
    if (worker.tasks) {
      const listed = new Set(worker.tasks);
      // The agent's list is the truth about what it runs; reservations not yet picked up stay.
      for (const a of this.tasks.of(record.id)) {
        if (a.held && !listed.has(a.taskId)) this.tasks.remove(a.purpose, a.taskId);
      }
      for (const taskId of listed) {
        this.tasks.assign(record.purpose, taskId, record.id, {
          held: true,
          expiresAt: undefined,
          reserveTimeMs: this.config.reserveTimeMs,
        });
      }
    }
    log.info(
      { workerId: record.id, purpose: record.purpose, rejoin: !isNew, tasks: worker.tasks?.length ?? 0 },
      'worker joined',
    );
    this.emit('worker-joined', this.view(record, now));
    return { keepAliveIntervalMs: this.config.keepAliveIntervalMs };
  }

  /** Removes the worker; returns (and emits) the lost event when it held tasks. */
  leave(workerId: string): WorkerLostEvent | undefined {
    const record = this.workers.get(workerId);
    if (!record) return undefined;
    log.info({ workerId }, 'worker left');
    return this.dropWorker(record, 'left');
  }

  keepAlive(workerId: string, load: number): KeepAliveResult {
    const record = this.workers.get(workerId);
    if (!record) return 'unknown-worker';
    record.lastSeen = this.clock();
    record.load = load;
    return 'ok';
  }

  /** A load report also proves the worker alive. */
  reportLoad(workerId: string, load: number): void {
    const record = this.requireWorker(workerId);
    record.lastSeen = this.clock();
    record.load = load;
  }

  setState(workerId: string, state: WorkerState): void {
    const record = this.requireWorker(workerId);
    if (record.state !== state) log.info({ workerId, state }, 'worker state changed');
    record.state = state;
  }

  /** The worker runs the task now: it stays there until laid down or unscheduled. */
  pickUp(workerId: string, taskId: string): void {
    const record = this.requireWorker(workerId);
    const existing = this.tasks.get(record.purpose, taskId, this.clock());
    this.tasks.assign(record.purpose, taskId, record.id, {
      held: true,
      expiresAt: undefined,
      reserveTimeMs: existing?.reserveTimeMs ?? this.config.reserveTimeMs,
    });
  }

  /** The worker stopped running the task: keep the place for the reserve time. */
  layDown(workerId: string, taskId: string): void {
    const record = this.workers.get(workerId);
    if (!record) return;
    const now = this.clock();
    const existing = this.tasks.get(record.purpose, taskId, now);
    if (!existing || existing.workerId !== workerId) return;
    existing.held = false;
    existing.expiresAt = now + existing.reserveTimeMs;
  }

  schedule(
    purpose: Purpose,
    taskId: string,
    preference: SchedulePreference,
    reserveTimeMs?: number,
  ): ScheduleResult {
    const now = this.clock();
    const reserve = reserveTimeMs ?? this.config.reserveTimeMs;
    const existing = this.tasks.get(purpose, taskId, now);
    if (existing) {
      const current = this.workers.get(existing.workerId);
      if (current && current.state === 'in-service') {
        if (!existing.held) {
          existing.expiresAt = now + reserve;
          existing.reserveTimeMs = reserve;
        }
        return this.result(current);
      }
      // Its worker is draining (or gone): the caller needs a new place.
      this.tasks.remove(purpose, taskId);
    }
    const candidates = this.candidates(purpose);
    const matched = matcherForPurpose(purpose)(preference, candidates);
    const chosen = this.strategyFor(purpose).pick(matched);
    if (!chosen) {
      throw new NoWorkerAvailableError(
        `no ${purpose} worker available for task ${taskId} ` +
          `(${candidates.length} in service under max load, ${matched.length} matching the preference)`,
        { data: { purpose, taskId, preference } },
      );
    }
    this.tasks.assign(purpose, taskId, chosen.id, {
      held: false,
      expiresAt: now + reserve,
      reserveTimeMs: reserve,
    });
    log.debug({ purpose, taskId, workerId: chosen.id }, 'task scheduled');
    return this.result(this.requireWorker(chosen.id));
  }

  /** Frees the task at once (ignored when it is not on that worker). */
  unschedule(workerId: string, taskId: string): void {
    const record = this.workers.get(workerId);
    if (!record) return;
    const existing = this.tasks.get(record.purpose, taskId);
    if (existing?.workerId === workerId) this.tasks.remove(record.purpose, taskId);
  }

  getScheduled(purpose: Purpose, taskId: string): string | null {
    return this.tasks.get(purpose, taskId, this.clock())?.workerId ?? null;
  }

  /** True when the task is on a worker (held or within its reserve time). */
  isAssigned(purpose: Purpose, taskId: string): boolean {
    return this.getScheduled(purpose, taskId) !== null;
  }

  getWorkers(purpose?: Purpose): WorkerView[] {
    const now = this.clock();
    return this.workers.list(purpose).map((w) => this.view(w, now));
  }

  getWorker(workerId: string): WorkerView {
    const now = this.clock();
    return this.view(this.requireWorker(workerId), now);
  }

  /**
   * Periodic housekeeping: drops workers silent for more than `missedKeepAlivesBeforeDrop`
   * intervals (emitting worker-lost with their tasks) and forgets expired reservations.
   */
  tick(): WorkerLostEvent[] {
    const now = this.clock();
    const silence = this.config.keepAliveIntervalMs * this.config.missedKeepAlivesBeforeDrop;
    const lost: WorkerLostEvent[] = [];
    for (const record of this.workers.silentFor(silence, now)) {
      log.warn(
        { workerId: record.id, silentMs: now - record.lastSeen },
        'worker missed keep-alives; dropped',
      );
      const event = this.dropWorker(record, 'keep-alive-timeout');
      if (event) lost.push(event);
    }
    for (const a of this.tasks.expire(now)) {
      log.debug({ purpose: a.purpose, taskId: a.taskId, workerId: a.workerId }, 'reservation expired');
      this.emit('task-expired', a.purpose, a.taskId, a.workerId);
    }
    return lost;
  }

  /** Forgets everything (a manager that lost leadership starts empty next time). */
  clear(): void {
    this.workers.clear();
    this.tasks.clear();
    this.strategies = new Map();
  }

  private dropWorker(record: WorkerRecord, reason: WorkerLostEvent['reason']): WorkerLostEvent | undefined {
    if (this.workers.get(record.id) === record) this.workers.remove(record.id);
    const tasks = this.tasks.of(record.id, this.clock()).map((a) => a.taskId);
    this.tasks.removeWorker(record.id);
    this.strategies.get(record.purpose)?.forget(record.id);
    // A worker that leaves cleanly with nothing to recover is not news; a silent one always is.
    if (reason === 'left' && tasks.length === 0) return undefined;
    const event: WorkerLostEvent = { workerId: record.id, purpose: record.purpose, tasks, reason };
    this.emit('worker-lost', event);
    return event;
  }

  private candidates(purpose: Purpose): SchedulingCandidate[] {
    // maxLoad 1 means "never refuse for load": a load figure cannot exceed 1.
    return this.workers
      .list(purpose)
      .filter((w) => w.state === 'in-service' && (w.load < w.maxLoad || w.maxLoad >= 1))
      .map((w) => ({ id: w.id, capacity: w.capacity, load: w.load, maxLoad: w.maxLoad, joinSeq: w.joinSeq }));
  }

  private strategyFor(purpose: Purpose): SchedulingStrategy {
    let strategy = this.strategies.get(purpose);
    if (!strategy) {
      strategy = createStrategy(this.config.strategies[purpose], { random: this.random });
      this.strategies.set(purpose, strategy);
    }
    return strategy;
  }

  private requireWorker(workerId: string): WorkerRecord {
    const record = this.workers.get(workerId);
    if (!record) throw new NotFoundError(`unknown worker ${workerId}`, { data: { workerId } });
    return record;
  }

  private result(record: WorkerRecord): ScheduleResult {
    return { id: record.id, purpose: record.purpose, capacity: record.capacity };
  }

  private view(record: WorkerRecord, now: number): WorkerView {
    return {
      id: record.id,
      purpose: record.purpose,
      capacity: record.capacity,
      load: record.load,
      maxLoad: record.maxLoad,
      state: record.state,
      tasks: this.tasks.of(record.id, now).map((a) => a.taskId),
      lastSeenAgoMs: Math.max(0, now - record.lastSeen),
      info: record.info,
    };
  }
}
