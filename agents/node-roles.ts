import type { Purpose } from '../cluster-manager/protocol.js';
import type { RpcBus, RpcHandlers } from '../common/rpc/rpc-bus.js';
import type { NodeSpec } from './node-spec.js';

export interface NodeContext {
  spec: NodeSpec;
  bus: RpcBus;
}

/** What a purpose's node serves on top of the base methods, and how it shuts down. */
export interface NodeRole {
  handlers: RpcHandlers;
  close(): Promise<void>;
}

export type NodeRoleFactory = (ctx: NodeContext) => Promise<NodeRole>;

/**
 * Node implementations per purpose, loaded lazily so that a node only loads its own code.
 * A purpose without an entry runs bare nodes (base methods only); the launcher refuses to
 * start such agents unless asked for bare nodes explicitly.
 */
const roles: Partial<Record<Purpose, () => Promise<NodeRoleFactory>>> = {
  conference: () => import('../conference/node-role.js').then((m) => m.createConferenceRole),
  webrtc: () => import('./webrtc/node-role.js').then((m) => m.default),
  streaming: () => import('./streaming/node-role.js').then((m) => m.default),
  recording: () => import('./recording/node-role.js').then((m) => m.default),
  audio: () => import('./audio/node-role.js').then((m) => m.default),
  video: () => import('./video/node-role.js').then((m) => m.default),
};

export function hasNodeRole(purpose: Purpose): boolean {
  return roles[purpose] !== undefined;
}

export async function loadNodeRole(purpose: Purpose): Promise<NodeRoleFactory | undefined> {
  const load = roles[purpose];
  return load ? await load() : undefined;
}
