import type { z } from 'zod';
import { ValidationError } from '../common/errors.js';

/** Parses with the schema; a failure becomes ValidationError naming each bad field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, prefix = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => {
    const field = [prefix, ...i.path.map(String)].join('.');
    const message = i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message;
    return { field, message };
  });
  throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), { data: issues });
}
