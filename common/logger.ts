import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names whose values are never written to a log. pino's redaction works on paths, so
 * the common places where secrets travel are listed at the first two levels.
 */
const SECRET_KEYS = ['key', 'secret', 'password', 'token', 'serviceKey', 'authorization', 'ticket', 'cookie'];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

let root: Logger | undefined;

export interface LoggingOptions {
  level?: string;
  /** Write to this file descriptor (defaults to stdout). */
  destination?: number | string;
}

export function configureLogging(options: LoggingOptions = {}): Logger {
  const level = options.level ?? process.env.MEDIASPREAD_LOG_LEVEL ?? 'info';
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

function rootLogger(): Logger {
  return root ?? configureLogging();
}

/** One child logger per module, named after it. */
export function createLogger(module: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ module, ...bindings });
}
