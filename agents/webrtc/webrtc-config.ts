import { z } from 'zod';
import { clusterSchema } from '../../common/config/base-schema.js';
import { loadConfig } from '../../common/config/load-config.js';
import { NODE_CONFIG_FILE_ENV } from '../node-spec.js';

/** Where this node's peer connections gather candidates and what they advertise. */
export const webrtcSchema = z
  .object({
    /** NAT 1:1: host candidates in answers are advertised with this address too. Empty = off. */
    publicIp: z.string().default(''),
    /** UDP ports for ICE; [0, 0] lets the OS pick. */
    portRange: z
      .tuple([z.number().int().min(0).max(65535), z.number().int().min(0).max(65535)])
      .refine(([min, max]) => (min === 0 && max === 0) || min < max, {
        message: 'min must be below max (werift refuses equal bounds), or both 0',
      })
      .default([0, 0]),
    /** Local addresses to gather on (empty = every non-loopback interface). */
    interfaces: z.array(z.string().min(1)).default([]),
    /** Extra host addresses werift normally skips (loopback, tun…); tests use 127.0.0.1. */
    additionalHostAddresses: z.array(z.string().min(1)).default([]),
    /** STUN/TURN servers for the node's own candidates; none by default (trap 8). */
    iceServers: z.array(z.object({ urls: z.string().min(1) }).strict()).default([]),
    /** REMB value sent to publishers (our own REMB; werift sends none: trap 2). */
    rembBps: z.number().int().positive().default(2_500_000),
    /**
     * How subscriptions send RTP: `own` (header template + SRTP with werift's keys + one send on
     * werift's ICE socket, our NACK history and SRs) or `werift` (its RTCRtpSender; baseline).
     */
    outgoingPath: z.enum(['own', 'werift']).default('own'),
    /** Own path: longest stretch of fan-out sending before the event loop gets a turn (ms). */
    fanoutSliceMs: z.number().positive().max(1000).default(4),
    /** How long an answer may wait for candidate gathering. */
    gatherTimeoutMs: z.number().int().positive().default(3000),
    /** Internal links: where this node's LinkServer listens. */
    linkHost: z.string().min(1).default('127.0.0.1'),
    linkPort: z.number().int().min(0).max(65535).default(0),
  })
  .strict();

export const webrtcNodeConfigSchema = z
  .object({
    webrtc: webrtcSchema.default(webrtcSchema.parse({})),
    cluster: clusterSchema.default(clusterSchema.parse({})),
  })
  .loose();

export type WebrtcConfig = z.output<typeof webrtcSchema>;
export type WebrtcNodeConfig = z.output<typeof webrtcNodeConfigSchema>;

/** Nodes read `[webrtc]` and `[cluster]` from the optional file and MEDIASPREAD__… variables. */
export function loadWebrtcNodeConfig(env: NodeJS.ProcessEnv = process.env): WebrtcNodeConfig {
  return loadConfig(webrtcNodeConfigSchema, { file: env[NODE_CONFIG_FILE_ENV] || undefined, env });
}
