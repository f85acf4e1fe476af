import { z } from 'zod';
import { clusterSchema } from '../../common/config/base-schema.js';
import { loadConfig } from '../../common/config/load-config.js';
import { NODE_CONFIG_FILE_ENV } from '../node-spec.js';

/** `[video]`: where a video node's LinkServer listens. */
export const videoSchema = z
  .object({
    linkHost: z.string().min(1).default('127.0.0.1'),
    linkPort: z.number().int().min(0).max(65535).default(0),
  })
  .strict();

export const videoNodeConfigSchema = z
  .object({
    video: videoSchema.default(videoSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
  })
  .loose();

export type VideoNodeConfig = z.output<typeof videoNodeConfigSchema>;

/** Nodes read the agent's TOML file (MEDIASPREAD_CONFIG_FILE) and MEDIASPREAD__… variables. */
export function loadVideoNodeConfig(env: NodeJS.ProcessEnv = process.env): VideoNodeConfig {
  return loadConfig(videoNodeConfigSchema, { file: env[NODE_CONFIG_FILE_ENV] || undefined, env });
}
