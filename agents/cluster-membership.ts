import { EventEmitter } from 'node:events';
import {
  CLUSTER_MANAGER_ID,
  type JoinResult,
  type KeepAliveResult,
  type WorkerJoin,
} from '../cluster-manager/protocol.js';
import { createLogger } from '../common/logger.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';

interface MembershipEvents {
  joined: [];
}

export interface ClusterMembershipOptions {
  bus: RpcBus;
  /** What to register; `load` and `tasks` are read afresh at every (re-)join. */
  worker: Omit<WorkerJoin, 'load' | 'tasks'>;
  /** Current load, 0..1, sampled before each keep-alive. */
  load: () => Promise<number>;
  /** Tasks held now, sent on (re-)join so that a new cluster-manager instance learns them. */
  tasks: () => string[];
  /** Until the manager's join answer says otherwise. */
  intervalMs: number;
}

/**
 * A worker's membership in the cluster: joins the cluster manager, keeps alive with its load
 * and joins again when the manager does not know it (failover). Used by agents and portals.
 */
export class ClusterMembership extends EventEmitter<MembershipEvents> {
  private readonly log;
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number;
  private joined = false;
  private stopped = false;

  constructor(private readonly options: ClusterMembershipOptions) {
    super();
    this.intervalMs = options.intervalMs;
    this.log = createLogger('cluster-membership', { workerId: options.worker.id });
  }

  get isJoined(): boolean {
    return this.joined;
  }

  /** First attempt now (a failure is retried at every interval), then keep-alives. */
  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** Stops keep-alives and leaves the cluster (best effort). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    if (this.joined) {
      await this.options.bus
        .call(CLUSTER_MANAGER_ID, 'leave', [this.options.worker.id], { timeoutMs: 2000 })
        .catch(() => undefined);
    }
  }

  private schedule(): void {
    clearInterval(this.timer);
    if (this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const load = await this.options.load();
      if (!this.joined) {
        await this.join(load);
        return;
      }
      const result = await this.options.bus.call<KeepAliveResult>(
        CLUSTER_MANAGER_ID,
        'keepAlive',
        [this.options.worker.id, load],
        { timeoutMs: this.intervalMs },
      );
      if (result === 'unknown-worker') {
        this.log.info('cluster manager does not know this worker (failover?): joining again');
        this.joined = false;
        await this.join(load);
      }
    } catch (err) {
      this.log.debug({ err }, 'keep-alive failed; retrying');
    }
  }

  private async join(load: number): Promise<void> {
    const join: WorkerJoin = { ...this.options.worker, load, tasks: this.options.tasks() };
    const result = await this.options.bus.call<JoinResult>(CLUSTER_MANAGER_ID, 'join', [join], {
      timeoutMs: Math.max(this.intervalMs, 1000),
    });
    if (this.stopped) return;
    this.joined = true;
    if (result.keepAliveIntervalMs !== this.intervalMs) {
      this.intervalMs = result.keepAliveIntervalMs;
      this.schedule();
    }
    this.log.info({ purpose: join.purpose }, 'joined the cluster');
    this.emit('joined');
  }
}
