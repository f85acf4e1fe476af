import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createLogger } from '../common/logger.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import type { AgentConfig } from './config.js';
import { NodePoolExhaustedError, NodeStartError } from './errors.js';
import type { NodeView } from './protocol.js';

export interface NodeHandle {
  id: string;
  child: ChildProcess;
  tasks: Set<string>;
  startedAt: number;
  /** Set when we asked the node to stop: its exit is then not a crash. */
  stopping: boolean;
  ready: Promise<void>;
}

export interface NodeLost {
  nodeId: string;
  tasks: string[];
  exitCode: number | null;
  signal: string | null;
}

interface NodePoolEvents {
  'node-started': [nodeId: string];
  'node-lost': [lost: NodeLost];
}

export interface NodePoolOptions {
  agentId: string;
  config: AgentConfig['nodes'];
  bus: RpcBus;
  /** Starts the node process for `nodeId` (fork with an IPC channel). */
  spawn: (nodeId: string) => ChildProcess;
}

const READY_POLL_MS = 50;

/**
 * The agent's worker nodes: pre-started spares, at most `max` processes, tasks assigned to
 * nodes with room, crashed nodes detected and replaced. One process per node, so a crash
 * takes nothing else with it.
 */
export class NodePool extends EventEmitter<NodePoolEvents> {
  private readonly nodes = new Map<string, NodeHandle>();
  private readonly log = createLogger('node-pool');
  private counter = 0;
  private closed = false;

  constructor(private readonly options: NodePoolOptions) {
    super();
  }

  async start(): Promise<void> {
    await this.topUp();
  }

  /** The node running `task`, assigning it to a node with room (starting one if needed). */
  async getNode(task: string): Promise<string> {
    const existing = this.findTask(task);
    if (existing) {
      await existing.ready;
      return existing.id;
    }
    const node = this.pickNodeWithRoom() ?? this.startNode();
    node.tasks.add(task);
    try {
      await node.ready;
    } catch (err) {
      node.tasks.delete(task);
      throw err;
    }
    void this.topUp();
    return node.id;
  }

  queryNode(task: string): string | null {
    return this.findTask(task)?.id ?? null;
  }

  /** The task ended on that node: the node goes back to the pool or is replaced. */
  recycle(nodeId: string, task: string): void {
    const node = this.nodes.get(nodeId);
    if (!node?.tasks.delete(task)) return;
    if (node.tasks.size === 0 && !this.options.config.reuse) {
      this.stopNode(node);
      void this.topUp();
    }
  }

  list(): NodeView[] {
    return [...this.nodes.values()].map((n) => ({
      id: n.id,
      pid: n.child.pid ?? -1,
      tasks: [...n.tasks],
      state: n.tasks.size > 0 ? 'busy' : 'idle',
      startedAt: n.startedAt,
    }));
  }

  /** Every task currently running on a node. */
  tasks(): string[] {
    return [...this.nodes.values()].flatMap((n) => [...n.tasks]);
  }

  /** Stops every node: SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.closed = true;
    const exits = [...this.nodes.values()].map((node) => {
      const exited = new Promise<void>((resolve) => {
        if (node.child.exitCode !== null || node.child.signalCode !== null) resolve();
        else node.child.once('exit', () => resolve());
      });
      this.stopNode(node);
      const timer = setTimeout(() => node.child.kill('SIGKILL'), this.options.config.stopTimeoutMs);
      return exited.finally(() => clearTimeout(timer));
    });
    await Promise.all(exits);
  }

  private findTask(task: string): NodeHandle | undefined {
    for (const node of this.nodes.values()) if (node.tasks.has(task)) return node;
    return undefined;
  }

  /** Fill nodes that already have tasks first, so that idle spares stay idle. */
  private pickNodeWithRoom(): NodeHandle | undefined {
    const max = this.options.config.maxTasksPerNode;
    let idle: NodeHandle | undefined;
    for (const node of this.nodes.values()) {
      if (node.stopping || node.tasks.size >= max) continue;
      if (node.tasks.size > 0) return node;
      idle ??= node;
    }
    return idle;
  }

  private async topUp(): Promise<void> {
    const { prerun, max } = this.options.config;
    const idle = () => [...this.nodes.values()].filter((n) => !n.stopping && n.tasks.size === 0).length;
    const started: Promise<void>[] = [];
    while (!this.closed && idle() < prerun && this.nodes.size < max) {
      started.push(this.startNode().ready.catch(() => undefined));
    }
    await Promise.all(started);
  }

  private startNode(): NodeHandle {
    if (this.closed) throw new NodeStartError('agent is stopping');
    if (this.nodes.size >= this.options.config.max) {
      throw new NodePoolExhaustedError(
        `all ${this.options.config.max} nodes of ${this.options.agentId} are busy`,
      );
    }
    this.counter += 1;
    const id = `${this.options.agentId}.node-${this.counter}`;
    const child = this.options.spawn(id);
    const node: NodeHandle = {
      id,
      child,
      tasks: new Set(),
      startedAt: Date.now(),
      stopping: false,
      ready: Promise.resolve(),
    };
    node.ready = this.waitReady(node);
    node.ready.catch((err: unknown) => {
      this.log.error({ err, nodeId: id }, 'node did not start');
      this.stopNode(node);
    });
    this.nodes.set(id, node);
    child.once('exit', (exitCode, signal) => this.onExit(node, exitCode, signal));
    child.on('error', (err) => this.log.error({ err, nodeId: id }, 'node process error'));
    this.emit('node-started', id);
    return node;
  }

  /** A node is ready once it answers on its RPC id. */
  private async waitReady(node: NodeHandle): Promise<void> {
    const deadline = Date.now() + this.options.config.startTimeoutMs;
    for (;;) {
      if (node.child.exitCode !== null || node.child.signalCode !== null || node.stopping) {
        throw new NodeStartError(`node ${node.id} exited during start`);
      }
      try {
        await this.options.bus.call(node.id, 'ping', [], { timeoutMs: 1000 });
        return;
      } catch {
        if (Date.now() > deadline)
          throw new NodeStartError(
            `node ${node.id} not ready after ${this.options.config.startTimeoutMs} ms`,
          );
        await new Promise((r) => setTimeout(r, READY_POLL_MS));
      }
    }
  }

  private stopNode(node: NodeHandle): void {
    node.stopping = true;
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGTERM');
  }

  private onExit(node: NodeHandle, exitCode: number | null, signal: NodeJS.Signals | null): void {
    this.nodes.delete(node.id);
    if (node.stopping) return;
    this.log.warn({ nodeId: node.id, exitCode, signal, tasks: [...node.tasks] }, 'node died');
    this.emit('node-lost', { nodeId: node.id, tasks: [...node.tasks], exitCode, signal });
    void this.topUp();
  }
}
