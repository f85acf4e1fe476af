import { z } from 'zod';
import { clusterSchema } from '../../common/config/base-schema.js';
import { loadConfig } from '../../common/config/load-config.js';
import { NODE_CONFIG_FILE_ENV } from '../node-spec.js';

/**
 * `[recording]`: where files go and how much disk must stay free. Point the recording
 * agent's `load.diskPath` at the same file system so that its load is this disk's use.
 */
export const recordingSchema = z
  .object({
    dir: z.string().min(1).default('./recordings'),
    /** Below this many free bytes a recording stops (event: stopped, reason disk-full). */
    minFreeBytes: z
      .number()
      .int()
      .min(0)
      .default(256 * 1024 * 1024),
    linkHost: z.string().min(1).default('127.0.0.1'),
    linkPort: z.number().int().min(0).max(65535).default(0),
  })
  .strict();

export const recordingNodeConfigSchema = z
  .object({
    recording: recordingSchema.default(recordingSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
  })
  .loose();

export type RecordingNodeConfig = z.output<typeof recordingNodeConfigSchema>;

export function loadRecordingNodeConfig(env: NodeJS.ProcessEnv = process.env): RecordingNodeConfig {
  return loadConfig(recordingNodeConfigSchema, { file: env[NODE_CONFIG_FILE_ENV] || undefined, env });
}
