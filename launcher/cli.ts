#!/usr/bin/env node
/**
 * `mediaspread` command: the all-in-one server (default of `npm start`), any single part in
 * cluster mode, and admin operations. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or
 * configuration (with a message naming what is wrong, never a stack trace).
 */
import { resolve } from 'node:path';
import { NODE_CONFIG_FILE_ENV } from '../agents/node-spec.js';
import { ConfigError } from '../common/config/config-error.js';
import { configureLogging, createLogger } from '../common/logger.js';
import { runAllInOne } from './all-in-one.js';
import { parseArgs, UsageError } from './parse-args.js';
import { readConfig } from './read-config.js';
import { runPart } from './run-part.js';
import type { RunningPart } from './running-part.js';

const USAGE = `usage:
  mediaspread all-in-one [--config FILE]          every part in one process tree, embedded defaults
  mediaspread start PART --config FILE [--bare]   one part in cluster mode (RabbitMQ)
        PART: cluster-manager | management-api | portal | <purpose>-agent
              (purposes: conference webrtc streaming recording audio video quic sip analytics)
        --bare: start an agent whose nodes serve only base methods (purpose not implemented yet)
  mediaspread admin ...                           room/service/token operations (see 'mediaspread admin help')
  mediaspread help`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'help';
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'admin') {
    const { runAdminCommand } = await import('../management-api/admin-cli.js');
    return runAdminCommand(argv.slice(1));
  }
  const args = parseArgs(argv.slice(1), ['config']);
  const file = args.options.get('config');
  if (file === true) throw new UsageError('--config needs a file');
  const config = readConfig(file);
  // Worker nodes read their role's sections ([webrtc], [cluster]…) from the same file.
  if (file) process.env[NODE_CONFIG_FILE_ENV] = resolve(file);
  // MEDIASPREAD_LOG_LEVEL wins over the file so that one variable quiets every process of a test.
  configureLogging({ level: process.env.MEDIASPREAD_LOG_LEVEL || config.log.level });
  let parts: RunningPart[];
  if (command === 'all-in-one') parts = await runAllInOne(config);
  else if (command === 'start') {
    const part = args.positionals[0];
    if (!part) throw new UsageError('start needs a PART');
    if (!file) throw new UsageError('start needs --config FILE (cluster mode)');
    parts = [await runPart(part, config, { bare: args.options.get('bare') === true })];
  } else throw new UsageError(`unknown command '${command}'`);
  printUrls(parts);
  await waitForSignal();
  const log = createLogger('launcher');
  log.info('stopping');
  for (const part of [...parts].reverse()) {
    await part.stop().catch((err: unknown) => log.error({ err, part: part.name }, 'stop failed'));
  }
  return 0;
}

function printUrls(parts: RunningPart[]): void {
  const lines = parts.flatMap((p) => Object.entries(p.urls ?? {}).map(([what, url]) => `  ${what}: ${url}`));
  const names = parts.map((p) => p.name).join(', ');
  process.stdout.write(
    `MediaSpread running: ${names}\n${lines.join('\n')}${lines.length ? '\n' : ''}Ctrl-C stops it.\n`,
  );
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`mediaspread: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`mediaspread: ${err instanceof Error ? err.message : String(err)}\n`);
    createLogger('launcher').fatal({ err }, 'failed');
    process.exit(1);
  },
);
