import { z } from 'zod';
import { PURPOSES } from '../cluster-manager/protocol.js';
import { rpcSchema } from '../common/config/base-schema.js';

/**
 * The configuration file the agent was started with: nodes read their role's sections from it
 * (plus MEDIASPREAD__… overrides, which they inherit).
 */
export const NODE_CONFIG_FILE_ENV = 'MEDIASPREAD_CONFIG_FILE';

/** Environment variable through which an agent tells a node process who it is. */
export const NODE_SPEC_ENV = 'MEDIASPREAD_NODE_SPEC';

export const nodeSpecSchema = z
  .object({
    id: z.string().min(1),
    agentId: z.string().min(1),
    purpose: z.enum(PURPOSES),
    /** How the node reaches the bus: `local` = through the agent over IPC; `amqp` = directly. */
    rpc: rpcSchema,
    logLevel: z.string().default('info'),
  })
  .strict();

export type NodeSpec = z.output<typeof nodeSpecSchema>;

export function readNodeSpec(env: NodeJS.ProcessEnv): NodeSpec {
  const raw = env[NODE_SPEC_ENV];
  if (!raw) throw new Error(`${NODE_SPEC_ENV} is not set: node processes are started by an agent`);
  return nodeSpecSchema.parse(JSON.parse(raw));
}
