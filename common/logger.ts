import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are never written to a log. pino's redaction works on paths, so
 * the common places where secrets travel are listed at the first two levels.
 */
const SECRET_KEYS = ['key', 'secret', 'password', 'token', 'serviceKey', 'authorization', 'ticket', 'cookie'];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

let root: Logger | undefined;
/**
 * Children created so far. pino children copy their parent's level when created, and modules
 * create theirs at import time, before the launcher has read the configured level: a later
 * configureLogging must reach them too. Weak, so per-instance children can be collected.
 */
const children = new Set<WeakRef<Logger>>();
const forget = new FinalizationRegistry<WeakRef<Logger>>((ref) => children.delete(ref));

export interface LoggingOptions {
  level?: string;
  /** Write to this file descriptor (defaults to stdout). */
  destination?: number | string;
}

export function configureLogging(options: LoggingOptions = {}): Logger {
  const level = validLevel(options.level) ?? validLevel(process.env.MEDIASPREAD_LOG_LEVEL) ?? 'info';
  if (root && options.destination === undefined) {
    root.level = level;
    for (const ref of children) {
      const child = ref.deref();
      if (child) child.level = level;
      else children.delete(ref);
    }
    return root;
  }
  root = pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: options.destination ?? 1, sync: true }),
  );
  return root;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function validLevel(level: string | undefined): string | undefined {
  return level !== undefined && LEVELS.has(level) ? level : undefined;
}

function rootLogger(): Logger {
  return root ?? configureLogging();
}

/** One child logger per module, named after it. */
export function createLogger(module: string, bindings: Record<string, unknown> = {}): Logger {
  const child = rootLogger().child({ module, ...bindings });
  const ref = new WeakRef(child);
  children.add(ref);
  forget.register(child, ref);
  return child;
}
