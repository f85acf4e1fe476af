import { z } from 'zod';
import { ValidationError } from '../../common/errors.js';
import { mediaIdSchema } from '../../common/media/media-primitive-schemas.js';

/**
 * Argument shapes of the audio node's RPC methods (agents/audio/protocol.ts). Ids of router
 * streams are media ids (they travel on internal links).
 */

/** Sample rates each output codec can be encoded at here (libopus, FFmpeg's aac, G.711). */
const RATES: Record<string, readonly number[]> = {
  opus: [8000, 12_000, 16_000, 24_000, 48_000],
  pcmu: [8000],
  pcma: [8000],
  aac: [8000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000],
};

const audioFormatShape = {
  codec: z.enum(['opus', 'pcmu', 'pcma', 'aac']),
  sampleRate: z.number().int().positive(),
  channels: z.number().int().min(1).max(2),
};

function rateFitsCodec(f: { codec: string; sampleRate: number }): boolean {
  return RATES[f.codec]?.includes(f.sampleRate) ?? false;
}

const rateMessage = {
  message: 'sample rate not supported by this codec (opus 8/12/16/24/48 kHz, G.711 8 kHz, aac 8–48 kHz)',
  path: ['sampleRate'],
};

export const audioFormatSchema = z.object(audioFormatShape).strict().refine(rateFitsCodec, rateMessage);

export const audioOutputSpecSchema = z
  .object({ ...audioFormatShape, exclude: z.string().min(1).optional() })
  .strict()
  .refine(rateFitsCodec, rateMessage);

export const audioMixerSpecSchema = z
  .object({
    room: z.string().min(1),
    controller: z.string().min(1),
    vad: z.boolean(),
  })
  .strict();

export const mixerIdSchema = mediaIdSchema;
export const streamIdSchema = mediaIdSchema;
export const ownerSchema = z.string().min(1);

/** Validates one RPC argument; bad input raises ValidationError naming the offending fields. */
export function parseArg<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
    throw new ValidationError(`invalid ${what}: ${details.join('; ')}`, { data: details });
  }
  return result.data;
}
