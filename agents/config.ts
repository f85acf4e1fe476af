import { hostname } from 'node:os';
import { z } from 'zod';
import { PURPOSES } from '../cluster-manager/protocol.js';

export const agentSchema = z
  .object({
    purpose: z.enum(PURPOSES),
    /** Worker id (also its RPC id); generated from purpose, host and pid when empty. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only')
      .default(''),
    maxLoad: z.number().gt(0).max(1).default(0.85),
    capacity: z
      .object({
        isps: z.array(z.string().min(1)).default([]),
        regions: z.array(z.string().min(1)).default([]),
        video: z
          .object({ encode: z.array(z.string()), decode: z.array(z.string()) })
          .strict()
          .optional(),
      })
      .strict()
      .default({ isps: [], regions: [] }),
    nodes: z
      .object({
        /** Nodes started ahead of demand so that a task need not wait for a process start. */
        prerun: z.number().int().min(0).max(64).default(1),
        max: z.number().int().min(1).max(1024).default(16),
        /** Tasks one node may run at once (e.g. rooms per conference node). */
        maxTasksPerNode: z.number().int().min(1).max(1000).default(1),
        /** Return a node whose tasks all ended to the idle pool (true) or replace it with a fresh process. */
        reuse: z.boolean().default(true),
        /** How long a node has to come up before it counts as failed. */
        startTimeoutMs: z.number().int().positive().default(10000),
        /** Grace period between SIGTERM and SIGKILL at shutdown. */
        stopTimeoutMs: z.number().int().positive().default(3000),
      })
      .strict()
      .default({
        prerun: 1,
        max: 16,
        maxTasksPerNode: 1,
        reuse: true,
        startTimeoutMs: 10000,
        stopTimeoutMs: 3000,
      }),
    load: z
      .object({
        intervalMs: z.number().int().positive().default(1000),
        networkBandwidthMbps: z.number().positive().default(1000),
        networkInterfaces: z.array(z.string()).default([]),
        diskPath: z.string().default('.'),
      })
      .strict()
      .default({ intervalMs: 1000, networkBandwidthMbps: 1000, networkInterfaces: [], diskPath: '.' }),
  })
  .strict();

export type AgentConfig = z.output<typeof agentSchema>;

export function defaultAgentId(purpose: string): string {
  return `${purpose}-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${process.pid}`;
}
