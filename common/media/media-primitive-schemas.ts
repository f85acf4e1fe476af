import { z } from 'zod';

/**
 * Argument shapes of the media primitive RPC methods (documented in docs/internal-links.md).
 * Ids are non-empty and at most 255 UTF-8 bytes: they travel in internal-link messages.
 */
export const mediaIdSchema = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 255, { message: 'at most 255 UTF-8 bytes' });

export const linkAddressSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
  })
  .strict();

/** publish(streamId, source): accept the stream arriving from node `fromNode` over a link. */
export const internalSourceSchema = z
  .object({
    type: z.literal('internal'),
    fromNode: mediaIdSchema,
    /** The id the sending node uses on the link; defaults to streamId. */
    remoteStreamId: mediaIdSchema.optional(),
  })
  .strict();

/** subscribe(subscriptionId, sink): send the linked stream to node `toNode` at `address`. */
export const internalSinkSchema = z
  .object({
    type: z.literal('internal'),
    toNode: mediaIdSchema,
    /** toNode's LinkServer (from its getLinkAddress). */
    address: linkAddressSchema,
    /** The id to use on the link; defaults to the id of the stream linked up. */
    remoteStreamId: mediaIdSchema.optional(),
    /** Only these kinds of frames cross the link (e.g. audio to an audio mixer); all by default. */
    kinds: z
      .array(z.enum(['audio', 'video']))
      .min(1)
      .optional(),
  })
  .strict();

/**
 * publish(streamId, source): the audio of one local router stream and the video of another as
 * one stream (common/media/merge-source.ts); at least one of them.
 */
export const mergeSourceSchema = z
  .object({
    type: z.literal('merge'),
    audio: mediaIdSchema.optional(),
    video: mediaIdSchema.optional(),
  })
  .strict()
  .refine((s) => s.audio !== undefined || s.video !== undefined, {
    message: 'audio or video input required',
  });

/** Any endpoint spec: a type names the factory that validates the rest. */
export const endpointSpecSchema = z.looseObject({ type: z.string().min(1) });

export type InternalSourceSpec = z.output<typeof internalSourceSchema>;
export type InternalSinkSpec = z.output<typeof internalSinkSchema>;
