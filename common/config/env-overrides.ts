/**
 * Environment overrides: `MEDIASPREAD__section__key=value` sets `section.key`. Path segments are
 * separated by a double underscore and keep their case. Values are parsed as JSON when they
 * parse (numbers, booleans, arrays), otherwise taken as strings.
 */
export const ENV_PREFIX = 'MEDIASPREAD__';

export function applyEnvOverrides(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  prefix = ENV_PREFIX,
): Record<string, unknown> {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name.slice(prefix.length).split('__').filter(Boolean);
    if (path.length === 0) continue;
    let node: Record<string, unknown> = config;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = parseEnvValue(raw);
  }
  return config;
}

function parseEnvValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
