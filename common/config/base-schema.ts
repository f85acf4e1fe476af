import { z } from 'zod';

/** Sections every process reads: logging, the RPC bus, the cluster-wide secret. */
export const logSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();

export const rpcSchema = z
  .object({
    /** `local`: in-process bus (all-in-one); `amqp`: RabbitMQ (cluster mode). */
    transport: z.enum(['local', 'amqp']).default('local'),
    amqpUrl: z
      .string()
      .url({ message: 'expected an amqp:// URL' })
      .default('amqp://guest:guest@127.0.0.1:5672'),
    defaultTimeoutMs: z.number().int().positive().default(5000),
    /** Cluster mode: how long a starting process waits for the broker before giving up. */
    connectWaitMs: z.number().int().min(0).default(60_000),
  })
  .strict();

export const clusterSchema = z
  .object({
    name: z.string().min(1).default('mediaspread'),
    /**
     * Signs internal link tickets and similar cluster-internal credentials. All-in-one mode
     * generates one when empty; cluster mode requires it (checked by the launcher).
     */
    secret: z.string().default(''),
    /**
     * Signs client tokens (management API issues, portal verifies): one key for the whole
     * cluster, never a service key. All-in-one mode generates one when empty; cluster mode
     * requires it.
     */
    tokenKey: z.string().default(''),
  })
  .strict();

export type LogConfig = z.output<typeof logSchema>;
export type RpcConfig = z.output<typeof rpcSchema>;
export type ClusterConfig = z.output<typeof clusterSchema>;
