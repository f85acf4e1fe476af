import { z } from 'zod';
import { permissionPatchesSchema } from '../conference/permissions.js';
import { roomConfigSchema } from './room-config-schema.js';

/** Bodies of every request, validated before use; the OpenAPI document is generated from them. */

/** POST /v1/rooms: `{name, options}`; options is any subset of the room document. */
export const createRoomBody = z
  .object({
    name: z.string().min(1).max(256),
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** PUT /v1/rooms/{room}: the fields to change (top-level fields replace the stored ones). */
export const updateRoomBody = z.record(z.string(), z.unknown());

export const createServiceBody = z
  .object({
    name: z.string().min(1).max(256),
    /** Generated when absent. */
    key: z.string().min(16).max(256).optional(),
  })
  .strict();

/** The conference validates the same patches again; one schema for both sides. */
export const participantPatchBody = permissionPatchesSchema;

const layoutEntry = z
  .object({
    stream: z.string().optional(),
    region: z
      .object({
        id: z.string().min(1),
        shape: z.literal('rectangle').default('rectangle'),
        area: z.object({ left: z.string(), top: z.string(), width: z.string(), height: z.string() }).strict(),
      })
      .strict(),
  })
  .strict();

export const streamPatchBody = z
  .array(
    z.union([
      z
        .object({ op: z.enum(['add', 'remove']), path: z.literal('/info/inViews'), value: z.string().min(1) })
        .strict(),
      z
        .object({
          op: z.literal('replace'),
          path: z.enum(['/media/audio/status', '/media/video/status']),
          value: z.enum(['active', 'inactive']),
        })
        .strict(),
      z
        .object({ op: z.literal('replace'), path: z.literal('/info/layout'), value: z.array(layoutEntry) })
        .strict(),
      z
        .object({
          op: z.literal('replace'),
          path: z.string().regex(/^\/info\/layout\/\d+\/stream$/),
          value: z.string().min(1),
        })
        .strict(),
    ]),
  )
  .min(1);

const autoOrBool = z.union([z.boolean(), z.literal('auto')]);

export const createStreamingInBody = z
  .object({
    connection: z
      .object({
        url: z.string().url(),
        transportProtocol: z.enum(['tcp', 'udp']).default('tcp'),
        bufferSize: z.number().int().positive().default(8192),
      })
      .strict(),
    media: z.object({ audio: autoOrBool, video: autoOrBool }).strict(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const outAudio = z.union([
  z.literal(false),
  z.object({ from: z.string().min(1), format: z.object({ codec: z.string() }).loose().optional() }).strict(),
]);
const outVideo = z.union([
  z.literal(false),
  z
    .object({
      from: z.string().min(1),
      format: z.object({ codec: z.string() }).loose().optional(),
      parameters: z
        .object({
          resolution: z
            .object({ width: z.number().int().positive(), height: z.number().int().positive() })
            .optional(),
          framerate: z.number().positive().optional(),
          bitrate: z.union([z.number().positive(), z.string()]).optional(),
          keyFrameInterval: z.number().positive().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
]);
const outMedia = z.object({ audio: outAudio, video: outVideo }).strict();

export const createStreamingOutBody = z
  .object({
    protocol: z.enum(['rtmp', 'rtsp', 'hls', 'dash']),
    url: z.string().url(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    media: outMedia,
  })
  .strict();

export const createRecordingBody = z
  .object({ container: z.enum(['mp4', 'mkv', 'ts', 'auto']).default('auto'), media: outMedia })
  .strict();

export const createSipCallBody = z
  .object({
    peerURI: z.string().min(1),
    mediaIn: z.object({ audio: z.boolean(), video: z.boolean() }).strict(),
    mediaOut: outMedia,
  })
  .strict();

/** PATCH of a streaming-out, recording or sip call: OWT's replace operations on its media. */
export const outputPatchBody = z
  .array(
    z
      .object({
        op: z.literal('replace'),
        path: z.string().regex(/^\/(media|output\/media)\/(audio|video)(\/\w+)*$/),
        value: z.unknown(),
      })
      .strict(),
  )
  .min(1);

export const createTokenBody = z
  .object({
    user: z.string().min(1).max(256),
    role: z.string().min(1).max(64),
    preference: z.object({ isp: z.string().optional(), region: z.string().optional() }).strict().default({}),
    /** OWT's optional hint for the portal's domain name; kept with the token. */
    domain: z.string().optional(),
  })
  .strict();

export { roomConfigSchema };
