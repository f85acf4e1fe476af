import type { NodeRoleFactory } from '../node-roles.js';
import { loadStreamingNodeConfig } from './streaming-config.js';
import { startStreamingNode } from './streaming-node.js';

/** The `streaming` purpose's node: config from the environment the agent passed down. */
const createStreamingRole: NodeRoleFactory = async ({ spec, bus }) => {
  const node = await startStreamingNode(spec.id, bus, loadStreamingNodeConfig());
  return { handlers: node.handlers(), close: () => node.close() };
};

export default createStreamingRole;
