import { z } from 'zod';
import { clusterSchema } from '../../common/config/base-schema.js';
import { loadConfig } from '../../common/config/load-config.js';
import { NODE_CONFIG_FILE_ENV } from '../node-spec.js';

/** `[streaming]`: where a streaming node's LinkServer listens. */
export const streamingSchema = z
  .object({
    linkHost: z.string().min(1).default('127.0.0.1'),
    linkPort: z.number().int().min(0).max(65535).default(0),
  })
  .strict();

export const streamingNodeConfigSchema = z
  .object({
    streaming: streamingSchema.default(streamingSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
  })
  .loose();

export type StreamingNodeConfig = z.output<typeof streamingNodeConfigSchema>;

/** Nodes read the agent's TOML file (MEDIASPREAD_CONFIG_FILE) and MEDIASPREAD__… variables. */
export function loadStreamingNodeConfig(env: NodeJS.ProcessEnv = process.env): StreamingNodeConfig {
  return loadConfig(streamingNodeConfigSchema, { file: env[NODE_CONFIG_FILE_ENV] || undefined, env });
}
