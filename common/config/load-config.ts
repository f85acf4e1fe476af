import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { applyEnvOverrides } from './env-overrides.js';

export interface LoadConfigOptions {
  /** TOML file; when absent only defaults and environment apply. */
  file?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Reads a TOML file, applies environment overrides and validates the result against the
 * schema. Throws ConfigError naming every bad field; never returns a half-valid config.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): z.output<S> {
  const source = options.file ?? 'defaults';
  let raw: Record<string, unknown> = {};
  if (options.file) raw = readTomlFile(options.file);
  applyEnvOverrides(raw, options.env ?? process.env);
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map(toConfigIssue));
  }
  return result.data;
}

function readTomlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError(file, [{ field: '', message: `cannot read config file: ${reason}` }]);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(file, [{ field: '', message: `not valid TOML${where}: ${first}` }]);
  }
}

function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const field = issue.path.map(String).join('.');
  return { field, message: describeIssue(issue) };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      return issue.message;
  }
}
