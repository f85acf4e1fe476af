/**
 * Real agents on the all-in-one bus (a LocalBus) whose node processes join it over IPC, as
 * `mediaspread all-in-one` runs them, and the test's own media node: a router and a LinkHub
 * with its LinkServer, from which streams go to the agents' nodes over internal TCP links.
 * `close()` stops everything, the node processes by pid (also those an agent lost track of).
 */
import { Agent } from '../../agents/agent.js';
import { agentSchema } from '../../agents/config.js';
import type { LoadMeter } from '../../agents/load/load-meter.js';
import type { Purpose } from '../../cluster-manager/protocol.js';
import { rpcSchema } from '../../common/config/base-schema.js';
import { LinkHub } from '../../common/links/link-hub.js';
import { LinkServer } from '../../common/links/link-server.js';
import { MediaRouter } from '../../common/media/media-router.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { waitUntil } from './wait-until.js';

/** Agents here report a fixed load: the machine's CPU must not make them refuse tasks. */
const fixedLoad: LoadMeter = { kind: 'network', sample: async () => 0.1 };

export interface NodeAgents {
  bus: LocalBus;
  /** One agent per purpose asked for, each with an idle node started. */
  agents: Map<Purpose, Agent>;
  /** The id of the first node of `purpose`'s agent. */
  nodeOf(purpose: Purpose): string;
  /** The test's node: what it publishes here can be sent to the agents' nodes. */
  router: MediaRouter;
  hub: LinkHub;
  /** Where the test node's LinkServer listens (for sinks on the agents' nodes). */
  linkAddress: { host: string; port: number };
  close(): Promise<void>;
}

export interface NodeAgentsOptions {
  /** The cluster secret the nodes read from the environment (set before they start). */
  secret: string;
  /** The test node's id on the links. */
  linkNodeId?: string;
  /** Nodes per agent (default 1, and 1 prerun). */
  maxNodes?: number;
  rpcTimeoutMs?: number;
}

export async function startNodeAgents(purposes: Purpose[], options: NodeAgentsOptions): Promise<NodeAgents> {
  const bus = new LocalBus({ defaultTimeoutMs: options.rpcTimeoutMs ?? 10_000 });
  const pids = new Set<number>();
  const agents = new Map<Purpose, Agent>();
  const router = new MediaRouter();
  let server: LinkServer | undefined;
  let hub: LinkHub | undefined;
  const close = async (): Promise<void> => {
    router.close();
    hub?.close();
    await server?.close();
    for (const agent of agents.values()) await agent.stop().catch(() => undefined);
    await bus.close();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  try {
    for (const purpose of purposes) {
      const agent = new Agent({
        config: agentSchema.parse({
          purpose,
          id: `${purpose}-test`,
          nodes: { prerun: 1, max: options.maxNodes ?? 1, maxTasksPerNode: 1, reuse: false },
          load: { intervalMs: 500 },
        }),
        bus,
        nodeRpc: rpcSchema.parse({ transport: 'local', defaultTimeoutMs: options.rpcTimeoutMs ?? 10_000 }),
        attachChild: (child) => {
          if (child.pid) pids.add(child.pid);
          bus.attachChild(child);
        },
        logLevel: 'warn',
        loadMeter: fixedLoad,
      });
      agents.set(purpose, agent);
    }
    await Promise.all([...agents.values()].map((a) => a.start()));
    for (const [purpose, agent] of agents)
      await waitUntil(() => agent.listNodes().some((n) => n.state === 'idle'), 20_000, `a ${purpose} node`);
    const nodeId = options.linkNodeId ?? 'test-node';
    server = await LinkServer.listen({ nodeId, secret: options.secret, host: '127.0.0.1', port: 0 });
    hub = new LinkHub({ nodeId, secret: options.secret, server });
  } catch (err) {
    await close();
    throw err;
  }
  return {
    bus,
    agents,
    nodeOf: (purpose) => {
      const node = agents.get(purpose)?.listNodes()[0];
      if (!node) throw new Error(`no ${purpose} node`);
      return node.id;
    },
    router,
    hub,
    linkAddress: { host: server.host, port: server.port },
    close,
  };
}
