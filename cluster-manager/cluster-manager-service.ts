import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../common/logger.js';
import type { Leadership, RpcBus, RpcHandlers, RpcServer } from '../common/rpc/rpc-bus.js';
import { type Clock, systemClock } from './clock.js';
import type { ClusterManagerConfig } from './config.js';
import { ClusterManagerStandbyError } from './errors.js';
import {
  CLUSTER_MANAGER_ID,
  CLUSTER_MANAGER_LEADERSHIP,
  WORKER_LOST_TOPIC,
  type WorkerLostEvent,
} from './protocol.js';
import { createClusterManagerHandlers } from './rpc-handlers.js';
import { Scheduler } from './scheduler.js';
import type { RandomSource } from './strategies/strategy.js';

const log = createLogger('cluster-manager');

export interface ClusterManagerOptions {
  /** Scheduler time (keep-alive silence, reservations); timers still run on real time. */
  clock?: Clock;
  random?: RandomSource;
  /** Pause before competing again after a failure to acquire or to serve. */
  retryDelayMs?: number;
}

export interface ClusterManagerEvents {
  /** This instance leads: it serves CLUSTER_MANAGER_ID (starting empty). */
  active: [];
  /** This instance lost leadership, dropped its state and competes again. */
  standby: [];
  stopped: [];
  /** Also published on WORKER_LOST_TOPIC. */
  'worker-lost': [event: WorkerLostEvent];
}

interface ActiveTerm {
  server: RpcServer;
  ticker: NodeJS.Timeout;
  /** Aborted when the term ends: cancels schedule calls waiting for recovery. */
  ended: AbortController;
}

/**
 * The cluster manager process: competes for leadership on the bus and, only while leader,
 * serves the cluster-manager RPC interface, drops silent workers and publishes worker.lost.
 * A standby keeps no state; a newly active instance rebuilds from agents re-joining (their
 * keep-alives get 'unknown-worker').
 */
export class ClusterManager extends EventEmitter<ClusterManagerEvents> {
  private readonly scheduler: Scheduler;
  private readonly retryDelayMs: number;
  private readonly stopController = new AbortController();
  private readonly stoppedSignal: Promise<void>;
  private loop: Promise<void> | undefined;
  private term: ActiveTerm | undefined;

  constructor(
    private readonly bus: RpcBus,
    private readonly config: ClusterManagerConfig,
    options: ClusterManagerOptions = {},
  ) {
    super();
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    const signal = this.stopController.signal;
    this.stoppedSignal = new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    this.scheduler = new Scheduler({ config, clock: options.clock ?? systemClock, random: options.random });
    this.scheduler.on('worker-lost', (event) => {
      try {
        this.bus.publish(WORKER_LOST_TOPIC, event);
      } catch (err) {
        log.error({ err, workerId: event.workerId }, 'publishing worker.lost failed');
      }
      this.emit('worker-lost', event);
    });
  }

  get isActive(): boolean {
    return this.term !== undefined;
  }

  /** Starts competing for leadership; resolves at once (listen to 'active'). */
  async start(): Promise<void> {
    if (this.loop || this.stopController.signal.aborted) return;
    this.loop = this.run();
  }

  /** Stops serving, releases leadership and stops competing. */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return;
    this.stopController.abort();
    await this.loop;
    this.emit('stopped');
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const leadership = await this.acquire();
      if (!leadership) {
        if (!(await this.pause())) return;
        continue;
      }
      if (this.stopped) {
        await leadership.release();
        return;
      }
      try {
        await this.becomeActive(leadership);
      } catch (err) {
        log.error({ err }, 'could not become active; releasing leadership');
        await leadership.release();
        if (!(await this.pause())) return;
        continue;
      }
      await Promise.race([leadership.lost, this.whenStopped()]);
      await this.becomeStandby(leadership);
    }
  }

  /** Undefined when stopped while waiting or when the bus refused. */
  private async acquire(): Promise<Leadership | undefined> {
    const pending = this.bus.acquireLeadership(CLUSTER_MANAGER_LEADERSHIP);
    const outcome = await Promise.race([
      pending.then((leadership) => ({ leadership })),
      this.whenStopped().then(() => undefined),
    ]).catch((err: unknown) => {
      if (!this.stopped) log.error({ err }, 'acquiring leadership failed');
      return undefined;
    });
    if (!outcome) {
      // Stopped while queued: give the leadership back whenever it would have come.
      pending.then((l) => l.release()).catch(() => {});
      return undefined;
    }
    return outcome.leadership;
  }

  private async becomeActive(leadership: Leadership): Promise<void> {
    this.scheduler.clear();
    const ended = new AbortController();
    // One timer per term, counted from winning leadership (agents re-join within about one
    // keep-alive interval); every lookup of an unknown task meanwhile awaits it.
    const recovered =
      this.config.recoveryTimeMs > 0
        ? delay(this.config.recoveryTimeMs, undefined, { signal: ended.signal }).then(
            () => true,
            () => false,
          )
        : Promise.resolve(true);
    const handlers = createClusterManagerHandlers(this.scheduler, {
      beforeNewTask: async () => {
        if (!(await recovered))
          throw new ClusterManagerStandbyError('cluster manager lost leadership while recovering');
      },
    });
    let server: RpcServer;
    try {
      server = await this.serveWhileLeading(leadership, handlers);
    } catch (err) {
      ended.abort();
      throw err;
    }
    const period = Math.max(10, Math.floor(this.config.keepAliveIntervalMs / 2));
    const ticker = setInterval(() => this.tick(), period);
    this.term = { server, ticker, ended };
    log.info({ keepAliveIntervalMs: this.config.keepAliveIntervalMs }, 'cluster manager active');
    this.emit('active');
  }

  /** A previous leader may still be closing its server: retry briefly while we lead. */
  private async serveWhileLeading(leadership: Leadership, handlers: RpcHandlers): Promise<RpcServer> {
    let lost = false;
    void leadership.lost.then(() => {
      lost = true;
    });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bus.serve(CLUSTER_MANAGER_ID, handlers);
      } catch (err) {
        if (lost || this.stopped || attempt >= 50) throw err;
        await delay(100, undefined, { signal: this.stopController.signal }).catch(() => {});
      }
    }
  }

  private tick(): void {
    try {
      this.scheduler.tick();
    } catch (err) {
      // A throwing 'worker-lost' listener must not kill the timer; the next tick goes on.
      log.error({ err }, 'cluster manager housekeeping failed');
    }
  }

  private async becomeStandby(leadership: Leadership): Promise<void> {
    const term = this.term;
    this.term = undefined;
    if (term) {
      clearInterval(term.ticker);
      term.ended.abort();
      await term.server.close().catch((err: unknown) => log.warn({ err }, 'closing the RPC server failed'));
    }
    this.scheduler.clear();
    await leadership.release().catch((err: unknown) => log.warn({ err }, 'releasing leadership failed'));
    if (!this.stopped) {
      log.warn('cluster manager lost leadership; standing by');
      this.emit('standby');
    } else {
      log.info('cluster manager stopped');
    }
  }

  private whenStopped(): Promise<void> {
    return this.stoppedSignal;
  }

  /** False when stopped during the pause. */
  private async pause(): Promise<boolean> {
    try {
      await delay(this.retryDelayMs, undefined, { signal: this.stopController.signal });
      return true;
    } catch {
      return false;
    }
  }
}
