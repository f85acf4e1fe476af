import type { NodeRoleFactory } from '../node-roles.js';
import { loadAudioNodeConfig } from './audio-config.js';
import { AudioNode } from './audio-node.js';

/** The `audio` purpose's node: mixers and transcoders; config from the agent's environment. */
const createAudioRole: NodeRoleFactory = async ({ spec, bus }) => {
  const node = await AudioNode.start(spec.id, bus, loadAudioNodeConfig());
  return { handlers: node.handlers(), close: () => node.close() };
};

export default createAudioRole;
