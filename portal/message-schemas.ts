import { z } from 'zod';

/**
 * Client → portal requests of the OWT client–portal protocol 1.2 (notes/owt-compat.md).
 * Objects are not strict: SDKs add fields of their own, which are dropped before relaying.
 */

export const PROTOCOL_VERSIONS = ['1.0', '1.1', '1.2'] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

/** SDK types that get a reconnection ticket (and are kept while reconnecting). */
export const TICKET_SDK_TYPES = ['JavaScript', 'Android', 'Objective-C', 'C++'];

const id = z.string().min(1).max(128);

export const loginSchema = z.object({
  token: z.string().min(1).max(4096),
  userAgent: z.object({
    sdk: z.object({ type: z.string().min(1).max(64), version: z.string().min(1).max(64) }),
    runtime: z.unknown().optional(),
    os: z.unknown().optional(),
  }),
  protocol: z.enum(PROTOCOL_VERSIONS),
});

/** `relogin(ticket)`, or `relogin({ticket, …})` (what JS SDK 5.1 sends after mis-parsing 1.2). */
export const reloginSchema = z.union([
  z.string().min(1).max(4096),
  z.object({ ticket: z.string().min(1).max(4096) }).transform((v) => v.ticket),
]);

export const textSchema = z.object({
  to: id,
  message: z.string().max(2048),
});

const transportSchema = z.object({
  type: z.enum(['webrtc', 'quic']),
  id: id.nullish(),
});

const mid = z.union([z.string().min(1).max(32), z.number().int().min(0)]).transform(String);

const publishTrackSchema = z.object({
  type: z.enum(['audio', 'video']),
  mid: mid.optional(),
  source: z.enum(['mic', 'camera', 'screen-cast', 'raw-file', 'encoded-file']),
});

export const publishSchema = z.object({
  media: z.object({ tracks: z.array(publishTrackSchema).min(1).max(16) }),
  attributes: z.record(z.string(), z.unknown()).nullish(),
  transport: transportSchema,
});

const bitrate = z.union([z.string().regex(/^x\d+(\.\d+)?$/), z.number().positive()]);

const subscribeParametersSchema = z.object({
  resolution: z
    .object({ width: z.number().int().positive(), height: z.number().int().positive() })
    .optional(),
  framerate: z.number().positive().optional(),
  bitrate: bitrate.optional(),
  keyFrameInterval: z.number().positive().optional(),
});

const subscribeTrackSchema = z.object({
  type: z.enum(['audio', 'video']),
  mid: mid.optional(),
  from: id,
  parameters: subscribeParametersSchema.optional(),
});

export const subscribeSchema = z.object({
  media: z.object({ tracks: z.array(subscribeTrackSchema).min(1).max(16) }),
  transport: transportSchema,
});

export const sessionIdSchema = z.object({ id });

const trackKind = z.enum(['audio', 'video', 'av']);
const region = z.object({
  id: z.string(),
  shape: z.string(),
  area: z.record(z.string(), z.unknown()),
});

export const streamControlSchema = z.discriminatedUnion('operation', [
  z.object({ id, operation: z.enum(['pause', 'play']), data: trackKind }),
  z.object({
    id,
    operation: z.enum(['mix', 'unmix']),
    data: z.union([z.string().min(1), z.array(z.string())]),
  }),
  z.object({ id, operation: z.literal('get-region'), data: z.string().min(1) }),
  z.object({
    id,
    operation: z.literal('set-region'),
    data: z.object({ view: z.string().min(1), region: z.union([z.string().min(1), region]) }),
  }),
]);

export const subscriptionControlSchema = z.discriminatedUnion('operation', [
  z.object({ id, operation: z.enum(['pause', 'play']), data: trackKind }),
  z.object({
    id,
    operation: z.literal('update'),
    data: z.object({
      audio: z.object({ from: id }).optional(),
      video: z.object({ from: id.optional(), parameters: subscribeParametersSchema.optional() }).optional(),
    }),
  }),
]);

const candidateSchema = z.object({
  candidate: z.string().max(1024),
  sdpMid: z.union([z.string().max(32), z.number().int()]).nullish(),
  sdpMLineIndex: z.number().int().min(0).nullish(),
});

export const soacSchema = z.object({
  id,
  signaling: z.discriminatedUnion('type', [
    z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().min(1) }),
    z.object({ type: z.literal('candidate'), candidate: candidateSchema }),
    z.object({ type: z.literal('removed-candidates'), candidates: z.array(candidateSchema).max(256) }),
  ]),
});

/** Requests that carry no data (anything sent is ignored). */
export const noDataSchema = z.unknown();

/** The 'error' ack's reason for a message that fails its schema: the first few issues. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : 'data'}: ${i.message}`)
    .join('; ');
}
