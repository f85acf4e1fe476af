import { z } from 'zod';

/**
 * `[portal]`. Every field has a default. HTTPS/WSS is used when both `tls.cert` and `tls.key`
 * (PEM file paths) are set.
 */
export const portalSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** `name:port` written into tokens (what browsers connect to); default host:port as bound. */
    publicHost: z.string().default(''),
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1) })
      .strict()
      .optional(),
    /** socket.io CORS origins; `*` reflects any origin (credentials allowed, as OWT does). */
    corsOrigins: z.array(z.string().min(1)).default(['*']),
    /** Worker id (also the portal's RPC id); generated from host and pid when empty. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only')
      .default(''),
    /** Scheduling capacity told to the cluster manager (tokens pick a portal by isp/region). */
    capacity: z
      .object({
        isps: z.array(z.string().min(1)).default([]),
        regions: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    maxLoad: z.number().gt(0).max(1).default(0.85),
    /** Load reported to the cluster manager = connected sessions / this. */
    maxSessions: z.number().int().positive().default(10_000),
    /** Signs reconnection tickets; a random key is generated when empty (tickets are per portal). */
    serverKey: z.string().default(''),
    reconnectionTicketLifetimeMs: z.number().int().positive().default(600_000),
    /** How long a disconnected participant with a ticket is kept (events buffered) before it leaves. */
    participantKeepMs: z.number().int().positive().default(60_000),
    /** Timeout of RPC calls to the cluster manager, agents and conference nodes. */
    rpcTimeoutMs: z.number().int().positive().default(5000),
    /** Default keep-alive interval until the cluster manager names its own. */
    keepAliveIntervalMs: z.number().int().positive().default(1000),
    limits: z
      .object({
        /**
         * A request larger than this (JSON bytes) gets an error ack. Re-offers repeat every
         * m-line of the client's one peer connection (a few KiB each), hence the room.
         */
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
        /** Sustained requests per second per socket; more get an error ack. */
        messagesPerSecond: z.number().positive().default(50),
        /** Requests a socket may send at once above the sustained rate. */
        burst: z.number().int().positive().default(100),
        /** Events kept per disconnected participant for replay; beyond it the participant is dropped. */
        maxBufferedEvents: z.number().int().positive().default(1000),
      })
      .strict()
      .prefault({}),
    /** socket.io engine timing (the replay window is pingInterval + pingTimeout + 1 s). */
    pingIntervalMs: z.number().int().positive().default(25_000),
    pingTimeoutMs: z.number().int().positive().default(20_000),
  })
  .strict();

export type PortalConfig = z.output<typeof portalSchema>;
export type PortalConfigInput = z.input<typeof portalSchema>;
