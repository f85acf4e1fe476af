import type { ChildProcess } from 'node:child_process';
import { Agent } from '../agents/agent.js';
import { hasNodeRole } from '../agents/node-roles.js';
import type { Purpose } from '../cluster-manager/protocol.js';
import type { RpcConfig } from '../common/config/base-schema.js';
import { VIDEO_CODECS } from '../common/media/media-frame.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { nativeCapabilities } from '../native/native-capabilities.js';
import { agentSectionSchema, type MediaspreadConfig } from './config-schema.js';
import { UsageError } from './parse-args.js';
import type { RunningPart } from './running-part.js';

export interface StartAgentOptions {
  purpose: Purpose;
  config: MediaspreadConfig;
  bus: RpcBus;
  nodeRpc: RpcConfig;
  attachChild?: (child: ChildProcess) => void;
  /** Allow an agent whose nodes have no media role yet (cluster plumbing tests). */
  bare?: boolean;
  /** maxLoad when the config has no section for this agent. */
  defaultMaxLoad?: number;
}

/**
 * Defaults for a purpose whose section is absent from the configuration: one conference node
 * holds many rooms (a room controller is light), one webrtc node many clients; other media
 * nodes run one job each.
 */
const SECTION_DEFAULTS: Partial<Record<Purpose, Record<string, unknown>>> = {
  conference: { nodes: { maxTasksPerNode: 50 } },
  // A webrtc node holds many clients' peer connections; a process per client would make every
  // join wait for a node to start.
  webrtc: { nodes: { maxTasksPerNode: 20 } },
};

function videoCodecCapacity(): { encode: string[]; decode: string[] } {
  const caps = nativeCapabilities();
  const video = (names: string[]) => names.filter((n) => (VIDEO_CODECS as readonly string[]).includes(n));
  return { encode: video(caps.encoders), decode: video(caps.decoders) };
}

export async function startAgent(options: StartAgentOptions): Promise<RunningPart & { agent: Agent }> {
  const { purpose } = options;
  if (!hasNodeRole(purpose) && !options.bare) {
    throw new UsageError(
      `the ${purpose} agent's node role is not implemented yet; pass --bare to run an agent whose nodes serve only the base methods`,
    );
  }
  const section =
    options.config.agents[purpose] ??
    agentSectionSchema.parse({
      ...SECTION_DEFAULTS[purpose],
      ...(options.defaultMaxLoad === undefined ? {} : { maxLoad: options.defaultMaxLoad }),
    });
  // A video agent tells the scheduler which codecs its nodes handle (what this machine's FFmpeg
  // does), unless the configuration says so: tasks that need others go elsewhere.
  const capacity =
    purpose === 'video' && !section.capacity.video
      ? { ...section.capacity, video: videoCodecCapacity() }
      : section.capacity;
  const agent = new Agent({
    config: { ...section, capacity, purpose },
    bus: options.bus,
    nodeRpc: options.nodeRpc,
    attachChild: options.attachChild,
    logLevel: options.config.log.level,
  });
  await agent.start();
  return { name: `${purpose}-agent`, agent, stop: () => agent.stop() };
}
