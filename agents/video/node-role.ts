import type { NodeRoleFactory } from '../node-roles.js';
import { loadVideoNodeConfig } from './video-config.js';
import { startVideoNode } from './video-node.js';

/** The `video` purpose's node: mixers and transcoders, config from the agent's environment. */
const createVideoRole: NodeRoleFactory = async ({ spec, bus }) => {
  const node = await startVideoNode(spec.id, bus, loadVideoNodeConfig());
  return { handlers: node.handlers(), close: () => node.close() };
};

export default createVideoRole;
