import { z } from 'zod';
import { ValidationError } from '../../common/errors.js';
import { mediaIdSchema } from '../../common/media/media-primitive-schemas.js';
import { parseFraction } from './layout/index.js';

/**
 * Argument shapes of the video node's RPC methods (agents/video/protocol.ts). Everything that
 * reaches a codec is bounded here: even sizes (I420), sane framerates and bitrates.
 */

export { mediaIdSchema as videoIdSchema };

const evenSize = (max: number) =>
  z
    .number()
    .int()
    .min(16)
    .max(max)
    .refine((n) => n % 2 === 0, { message: 'must be even (I420)' });

export const resolutionSchema = z.object({ width: evenSize(4096), height: evenSize(4096) }).strict();

const fractionSchema = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    parseFraction(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const regionSchema = z
  .object({
    id: z.string().min(1).max(64),
    shape: z.literal('rectangle'),
    area: z
      .object({ left: fractionSchema, top: fractionSchema, width: fractionSchema, height: fractionSchema })
      .strict(),
  })
  .strict();

const templateSchema = z
  .object({ region: z.array(regionSchema).min(1).max(256) })
  .strict()
  .refine((t) => new Set(t.region.map((r) => r.id)).size === t.region.length, {
    message: 'region ids must be unique',
  });

const colourComponent = z.number().int().min(0).max(255);

export const layoutSpecSchema = z
  .object({
    base: z.enum(['fluid', 'lecture', 'void']),
    custom: z.array(templateSchema).max(64).optional(),
    fitPolicy: z.enum(['letterbox', 'crop']),
    maxInput: z.number().int().min(1).max(256),
    bgColor: z.object({ r: colourComponent, g: colourComponent, b: colourComponent }).strict(),
    keepActiveInputPrimary: z.boolean(),
  })
  .strict();

const framerateSchema = z.number().min(1).max(120);

/**
 * A mixer's canvas: an odd size in a view's settings is rounded to the nearest even one (as the
 * conference rounds output sizes), so an output of the view's size needs no scaling.
 */
const canvasSide = z
  .number()
  .int()
  .min(16)
  .max(4096)
  .transform((n) => Math.round(n / 2) * 2);

export const canvasResolutionSchema = z.object({ width: canvasSide, height: canvasSide }).strict();

export const videoMixerSpecSchema = z
  .object({ resolution: canvasResolutionSchema, framerate: framerateSchema, layout: layoutSpecSchema })
  .strict();

export const videoOutputSpecSchema = z
  .object({
    codec: z.enum(['vp8', 'vp9', 'h264']),
    resolution: resolutionSchema,
    framerate: framerateSchema,
    /** kbps */
    bitrate: z.number().min(50).max(100_000),
    /** seconds; 0 = keyframes only on request */
    keyFrameInterval: z.number().min(0).max(3600),
  })
  .strict();

export const regionIdSchema = z.string().min(1).max(64);

/** setLayout placements: a region id, or a region object (OWT's info.layout entries) by its id. */
export const layoutAssignmentsSchema = z
  .array(
    z
      .object({
        stream: mediaIdSchema,
        region: z.union([regionIdSchema, z.looseObject({ id: regionIdSchema }).transform((r) => r.id)]),
      })
      .strict(),
  )
  .max(256);

/** Parses one RPC argument; bad input raises ValidationError naming the argument and field. */
export function parseArg<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
    throw new ValidationError(`invalid ${what}: ${details.join('; ')}`, { data: details });
  }
  return result.data;
}
