import { z } from 'zod';

/**
 * Shapes of the client requests the portal relays (OWT client–portal protocol 1.2,
 * owt-compat.md). The portal validates them too; the conference checks what it relies on and
 * lets unknown extra fields through (clients in the field send more than we read).
 */

const kind = z.enum(['audio', 'video']);
const resolution = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });

const transport = z
  .looseObject({ type: z.literal('webrtc').default('webrtc'), id: z.string().min(1).optional() })
  .prefault({});

export const publishOptionsSchema = z.looseObject({
  media: z.looseObject({
    tracks: z
      .array(z.looseObject({ type: kind, mid: z.string().min(1), source: z.string().min(1).optional() }))
      .min(1),
  }),
  attributes: z.unknown().optional(),
  transport,
});
export type PublishOptions = z.output<typeof publishOptionsSchema>;

export const videoParametersSchema = z.looseObject({
  resolution: resolution.optional(),
  framerate: z.number().positive().optional(),
  bitrate: z.union([z.string().regex(/^x\d+(\.\d+)?$/), z.number().positive()]).optional(),
  keyFrameInterval: z.number().positive().optional(),
});
export type VideoParameters = z.output<typeof videoParametersSchema>;

export const subscribeOptionsSchema = z.looseObject({
  media: z.looseObject({
    tracks: z
      .array(
        z.looseObject({
          type: kind,
          mid: z.string().min(1),
          from: z.string().min(1),
          parameters: videoParametersSchema.optional(),
        }),
      )
      .min(1),
  }),
  transport,
});
export type SubscribeOptions = z.output<typeof subscribeOptionsSchema>;

const trackSelector = z.enum(['audio', 'video', 'av']);

export const streamControlSchema = z.discriminatedUnion('operation', [
  z.looseObject({ operation: z.enum(['pause', 'play']), data: trackSelector }),
  z.looseObject({ operation: z.enum(['mix', 'unmix', 'get-region']), data: z.unknown().optional() }),
  z.looseObject({ operation: z.literal('set-region'), data: z.unknown().optional() }),
]);

export const subscriptionControlSchema = z.discriminatedUnion('operation', [
  z.looseObject({ operation: z.enum(['pause', 'play']), data: trackSelector }),
  z.looseObject({
    operation: z.literal('update'),
    data: z.looseObject({
      audio: z.looseObject({ from: z.string().min(1).optional() }).optional(),
      video: z
        .looseObject({ from: z.string().min(1).optional(), parameters: videoParametersSchema.optional() })
        .optional(),
    }),
  }),
]);

export const textSchema = z.object({ to: z.string().min(1), message: z.string() });

export const streamPatchesSchema = z
  .array(
    z.union([
      z.object({ op: z.enum(['add', 'remove']), path: z.literal('/info/inViews'), value: z.string().min(1) }),
      z.object({
        op: z.literal('replace'),
        path: z.enum(['/media/audio/status', '/media/video/status']),
        value: z.enum(['active', 'inactive']),
      }),
      z.object({
        op: z.literal('replace'),
        path: z.string().regex(/^\/info\/layout(\/\d+\/stream)?$/),
        value: z.unknown(),
      }),
    ]),
  )
  .min(1);

/** join(roomId, participant): what the portal sends (conference/protocol.ts ParticipantJoin). */
export const participantJoinSchema = z.looseObject({
  id: z.string().min(1),
  user: z.string(),
  role: z.string().min(1),
  portal: z.string().min(1),
  // Tokens may carry nulls for "no preference".
  preference: z
    .looseObject({ isp: z.string().nullish(), region: z.string().nullish() })
    .nullish()
    .transform((p) => ({ ...(p?.isp ? { isp: p.isp } : {}), ...(p?.region ? { region: p.region } : {}) })),
  origin: z.unknown().optional(),
});
