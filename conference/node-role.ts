import type { NodeContext, NodeRole } from '../agents/node-roles.js';
import { ConferenceNode } from './conference-node.js';

/** The conference purpose's node code (agents/node-roles.ts): room controllers, several per node. */
export async function createConferenceRole(ctx: NodeContext): Promise<NodeRole> {
  const node = new ConferenceNode({ bus: ctx.bus, nodeId: ctx.spec.id, agentId: ctx.spec.agentId });
  await node.start();
  return { handlers: node.handlers(), close: () => node.close() };
}
