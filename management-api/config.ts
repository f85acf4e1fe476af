import { z } from 'zod';

/**
 * `[managementApi]`. Every field has a default; TLS is used when both cert and key (PEM file
 * paths) are set.
 */
export const managementApiSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** Larger request bodies get 413. */
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    mauth: z
      .object({
        /** Accepted distance between the request's timestamp and our clock. */
        skewMs: z
          .number()
          .int()
          .positive()
          .default(5 * 60 * 1000),
        /** Nonces are remembered this long (at least 2 × skewMs is enforced). */
        nonceTtlMs: z
          .number()
          .int()
          .positive()
          .default(10 * 60 * 1000),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1) })
      .strict()
      .optional(),
    /** Timeout of RPC calls to the cluster manager, agents and conference nodes. */
    rpcTimeoutMs: z.number().int().positive().default(5000),
    /** Default and maximum `per_page` of paged lists. */
    pageSize: z.number().int().positive().default(50),
    maxPageSize: z.number().int().positive().default(500),
  })
  .strict();

export type ManagementApiConfig = z.output<typeof managementApiSchema>;
