import { z } from 'zod';
import { clusterSchema } from '../../common/config/base-schema.js';
import { loadConfig } from '../../common/config/load-config.js';
import { NODE_CONFIG_FILE_ENV } from '../node-spec.js';

/** `[audio]`: where an audio node's LinkServer listens (frames in from other nodes). */
export const audioSchema = z
  .object({
    linkHost: z.string().min(1).default('127.0.0.1'),
    linkPort: z.number().int().min(0).max(65535).default(0),
  })
  .strict();

export const audioNodeConfigSchema = z
  .object({
    audio: audioSchema.default(audioSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
  })
  .loose();

export type AudioNodeConfig = z.output<typeof audioNodeConfigSchema>;

/** Nodes read the agent's TOML file (MEDIASPREAD_CONFIG_FILE) and MEDIASPREAD__… variables. */
export function loadAudioNodeConfig(env: NodeJS.ProcessEnv = process.env): AudioNodeConfig {
  return loadConfig(audioNodeConfigSchema, { file: env[NODE_CONFIG_FILE_ENV] || undefined, env });
}
