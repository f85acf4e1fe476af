import type { NodeRoleFactory } from '../node-roles.js';
import { loadRecordingNodeConfig } from './recording-config.js';
import { startRecordingNode } from './recording-node.js';

/** The `recording` purpose's node: config from the environment the agent passed down. */
const createRecordingRole: NodeRoleFactory = async ({ spec, bus }) => {
  const node = await startRecordingNode(spec.id, bus, loadRecordingNodeConfig());
  return { handlers: node.handlers(), close: () => node.close() };
};

export default createRecordingRole;
