import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  CLUSTER_MANAGER_ID,
  type JoinResult,
  type KeepAliveResult,
  type WorkerJoin,
} from '../cluster-manager/protocol.js';
import type { RpcConfig } from '../common/config/base-schema.js';
import { ValidationError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { RpcBus, RpcServer } from '../common/rpc/rpc-bus.js';
import { type AgentConfig, defaultAgentId } from './config.js';
import { createLoadMeter } from './load/create-load-meter.js';
import type { LoadMeter } from './load/load-meter.js';
import { type NodeLost, NodePool } from './node-pool.js';
import { NODE_SPEC_ENV, type NodeSpec } from './node-spec.js';
import { NODE_LOST_TOPIC, type NodeLostEvent } from './protocol.js';

interface AgentEvents {
  joined: [];
  'node-lost': [lost: NodeLost];
}

export interface AgentOptions {
  config: AgentConfig;
  bus: RpcBus;
  /** How node processes reach the bus: through this agent (local) or directly (amqp). */
  nodeRpc: RpcConfig;
  /** Called for every forked node in local mode, to bridge it to the in-process bus. */
  attachChild?: (child: ChildProcess) => void;
  logLevel?: string;
  /** Test seam for the load figure. */
  loadMeter?: LoadMeter;
}

const nodeRequestSchema = z.object({ task: z.string().min(1), room: z.string().optional() }).strict();
const taskSchema = z.string().min(1);

const NODE_ENTRY = fileURLToPath(new URL('./node-main.js', import.meta.url));

/**
 * A long-lived agent: registers with the cluster manager, keeps alive with its load, and runs
 * tasks on child node processes. Survives its nodes' crashes and cluster-manager failovers.
 */
export class Agent extends EventEmitter<AgentEvents> {
  readonly id: string;
  private readonly log;
  private readonly pool: NodePool;
  private readonly loadMeter: LoadMeter;
  private server: RpcServer | undefined;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private keepAliveIntervalMs: number;
  private joined = false;
  private load = 0;
  private stopped = false;

  constructor(private readonly options: AgentOptions) {
    super();
    const { config } = options;
    this.id = config.id || defaultAgentId(config.purpose);
    this.log = createLogger('agent', { agentId: this.id });
    this.keepAliveIntervalMs = config.load.intervalMs;
    this.loadMeter = options.loadMeter ?? createLoadMeter(config.purpose, config.load);
    this.pool = new NodePool({
      agentId: this.id,
      config: config.nodes,
      bus: options.bus,
      spawn: (nodeId) => this.spawnNode(nodeId),
    });
    this.pool.on('node-lost', (lost) => this.onNodeLost(lost));
  }

  get purpose(): AgentConfig['purpose'] {
    return this.options.config.purpose;
  }

  async start(): Promise<void> {
    const bad = (err: z.ZodError) => new ValidationError(err.issues.map((i) => i.message).join('; '));
    this.server = await this.options.bus.serve(this.id, {
      getNode: async (request: unknown) => {
        const parsed = nodeRequestSchema.safeParse(request);
        if (!parsed.success) throw bad(parsed.error);
        const nodeId = await this.pool.getNode(parsed.data.task);
        this.options.bus.cast(CLUSTER_MANAGER_ID, 'pickUp', [this.id, parsed.data.task]);
        return nodeId;
      },
      queryNode: (task: unknown) => {
        const parsed = taskSchema.safeParse(task);
        if (!parsed.success) throw bad(parsed.error);
        return this.pool.queryNode(parsed.data);
      },
      recycleNode: (nodeId: unknown, task: unknown) => {
        const n = taskSchema.safeParse(nodeId);
        const t = taskSchema.safeParse(task);
        if (!n.success) throw bad(n.error);
        if (!t.success) throw bad(t.error);
        this.pool.recycle(n.data, t.data);
        this.options.bus.cast(CLUSTER_MANAGER_ID, 'layDown', [this.id, t.data]);
      },
      listNodes: () => this.pool.list(),
    });
    await this.pool.start();
    this.load = await this.loadMeter.sample();
    await this.tick();
    this.keepAliveTimer = setInterval(() => void this.tick(), this.keepAliveIntervalMs);
    this.keepAliveTimer.unref();
  }

  /** Graceful shutdown: nodes first, then leave the cluster. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.keepAliveTimer);
    await this.pool.stop();
    if (this.joined) {
      await this.options.bus
        .call(CLUSTER_MANAGER_ID, 'leave', [this.id], { timeoutMs: 2000 })
        .catch(() => undefined);
    }
    await this.server?.close();
  }

  listNodes() {
    return this.pool.list();
  }

  /** Keep-alive with the current load; joins (again) when the manager does not know us. */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      this.load = await this.loadMeter.sample();
      if (!this.joined) {
        await this.join();
        return;
      }
      const result = await this.options.bus.call<KeepAliveResult>(
        CLUSTER_MANAGER_ID,
        'keepAlive',
        [this.id, this.load],
        {
          timeoutMs: this.keepAliveIntervalMs,
        },
      );
      if (result === 'unknown-worker') {
        this.log.info('cluster manager does not know this agent (failover?): joining again');
        this.joined = false;
        await this.join();
      }
    } catch (err) {
      this.log.debug({ err }, 'keep-alive failed; retrying');
    }
  }

  private async join(): Promise<void> {
    const { config } = this.options;
    const join: WorkerJoin = {
      id: this.id,
      purpose: config.purpose,
      capacity: config.capacity,
      maxLoad: config.maxLoad,
      load: this.load,
      state: 'in-service',
      tasks: this.pool.tasks(),
      info: { pid: process.pid },
    };
    const result = await this.options.bus.call<JoinResult>(CLUSTER_MANAGER_ID, 'join', [join], {
      timeoutMs: Math.max(this.keepAliveIntervalMs, 1000),
    });
    this.joined = true;
    if (result.keepAliveIntervalMs !== this.keepAliveIntervalMs) {
      this.keepAliveIntervalMs = result.keepAliveIntervalMs;
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = setInterval(() => void this.tick(), this.keepAliveIntervalMs);
      this.keepAliveTimer.unref();
    }
    this.log.info({ purpose: config.purpose }, 'joined the cluster');
    this.emit('joined');
  }

  private spawnNode(nodeId: string): ChildProcess {
    const spec: NodeSpec = {
      id: nodeId,
      agentId: this.id,
      purpose: this.options.config.purpose,
      rpc: this.options.nodeRpc,
      logLevel: this.options.logLevel ?? 'info',
    };
    const child = fork(NODE_ENTRY, [], {
      env: { ...process.env, [NODE_SPEC_ENV]: JSON.stringify(spec) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (this.options.nodeRpc.transport === 'local') this.options.attachChild?.(child);
    return child;
  }

  /** A crashed node: tell the room logic (event), free its tasks, the pool replaces it. */
  private onNodeLost(lost: NodeLost): void {
    const event: NodeLostEvent = {
      agentId: this.id,
      purpose: this.options.config.purpose,
      nodeId: lost.nodeId,
      tasks: lost.tasks,
      exitCode: lost.exitCode,
      signal: lost.signal,
    };
    this.options.bus.publish(NODE_LOST_TOPIC, event);
    for (const task of lost.tasks) this.options.bus.cast(CLUSTER_MANAGER_ID, 'unschedule', [this.id, task]);
    this.emit('node-lost', lost);
  }
}
