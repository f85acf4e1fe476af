import { z } from 'zod';
import { ValidationError } from '../common/errors.js';
import { PURPOSES } from './protocol.js';

/** Schemas for what arrives over RPC (cluster-manager/protocol.ts types). */

const id = z.string().min(1).max(256);
const load = z.number().finite().min(0);
const codecList = z.array(z.string().min(1).max(64)).max(64);

export const purposeSchema = z.enum(PURPOSES);
export const workerStateSchema = z.enum(['in-service', 'draining']);
export const workerIdSchema = id;
export const taskIdSchema = id;
export const loadSchema = load;

export const workerCapacitySchema = z.object({
  isps: z.array(z.string().max(128)).max(256),
  regions: z.array(z.string().max(128)).max(256),
  video: z.object({ encode: codecList, decode: codecList }).optional(),
});

export const workerJoinSchema = z.object({
  id,
  purpose: purposeSchema,
  capacity: workerCapacitySchema,
  maxLoad: z.number().gt(0).max(1),
  load: load.optional(),
  state: workerStateSchema.optional(),
  tasks: z.array(id).max(100_000).optional(),
  info: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** null (as some clients send) counts as absent. */
const optionalName = z
  .string()
  .max(128)
  .nullish()
  .transform((v) => v ?? undefined);

export const schedulePreferenceSchema = z.object({
  isp: optionalName,
  region: optionalName,
  video: z.object({ encode: codecList.optional(), decode: codecList.optional() }).optional(),
});

export const reserveTimeSchema = z
  .number()
  .int()
  .positive()
  .max(24 * 3600 * 1000);

/** Parses an RPC argument list; a bad list becomes a ValidationError naming the fields. */
export function parseArgs<S extends z.ZodType>(method: string, schema: S, args: unknown[]): z.output<S> {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${describePath(i.path)}: ${i.message}`);
  throw new ValidationError(`cluster-manager.${method}: invalid arguments (${problems.join('; ')})`, {
    data: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'arguments';
  const [index, ...rest] = path;
  return [`arg${String(index)}`, ...rest.map(String)].join('.');
}
