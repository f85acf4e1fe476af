/**
 * The RPC interface every agent serves under its worker id, and what it tells the cluster
 * manager. Conference, management API and portal reach a task's node through it.
 */

export interface NodeRequest {
  /** The task the node runs: a room id for conference, a session id for webrtc… */
  task: string;
  /** The room the task belongs to, for logs and co-location. */
  room?: string;
}

export interface NodeView {
  /** The node's RPC id. */
  id: string;
  pid: number;
  tasks: string[];
  state: 'idle' | 'busy';
  startedAt: number;
}

/** Monitoring topic: an agent's node died; its tasks are gone. */
export const NODE_LOST_TOPIC = 'node.lost';

export interface NodeLostEvent {
  agentId: string;
  purpose: string;
  nodeId: string;
  tasks: string[];
  exitCode: number | null;
  signal: string | null;
}

/**
 * Methods served under the agent's worker id:
 * - getNode(request: NodeRequest): string       node id running the task (started or reused)
 * - queryNode(task: string): string | null       node id if the task runs here
 * - recycleNode(nodeId: string, task: string): void   the task ended on that node
 * - listNodes(): NodeView[]
 */
export type AgentMethod = 'getNode' | 'queryNode' | 'recycleNode' | 'listNodes';
