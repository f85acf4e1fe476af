import type { NodeRoleFactory } from '../node-roles.js';
import { loadWebrtcNodeConfig } from './webrtc-config.js';
import { WebrtcNode } from './webrtc-node.js';

/** The `webrtc` purpose's node: config from the environment the agent passed down. */
const createWebrtcRole: NodeRoleFactory = async ({ spec, bus }) => {
  const node = await WebrtcNode.start({ nodeId: spec.id, bus, config: loadWebrtcNodeConfig() });
  return { handlers: node.handlers(), close: () => node.close() };
};

export default createWebrtcRole;
