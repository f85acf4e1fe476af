import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CLUSTER_MANAGER_ID } from '../cluster-manager/protocol.js';
import type { RpcConfig } from '../common/config/base-schema.js';
import { ValidationError } from '../common/errors.js';
import type { RpcBus, RpcServer } from '../common/rpc/rpc-bus.js';
import { ClusterMembership } from './cluster-membership.js';
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
  private readonly pool: NodePool;
  private readonly loadMeter: LoadMeter;
  private readonly membership: ClusterMembership;
  private server: RpcServer | undefined;
  private stopped = false;

  constructor(private readonly options: AgentOptions) {
    super();
    const { config } = options;
    this.id = config.id || defaultAgentId(config.purpose);
    this.loadMeter = options.loadMeter ?? createLoadMeter(config.purpose, config.load);
    this.membership = new ClusterMembership({
      bus: options.bus,
      worker: {
        id: this.id,
        purpose: config.purpose,
        capacity: config.capacity,
        maxLoad: config.maxLoad,
        state: 'in-service',
        info: { pid: process.pid },
      },
      load: () => this.loadMeter.sample(),
      tasks: () => this.pool.tasks(),
      intervalMs: config.load.intervalMs,
    });
    this.membership.on('joined', () => this.emit('joined'));
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
    await this.membership.start();
  }

  /** Graceful shutdown: nodes first, then leave the cluster. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.pool.stop();
    await this.membership.stop();
    await this.server?.close();
  }

  listNodes() {
    return this.pool.list();
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
