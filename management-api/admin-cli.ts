import { z } from 'zod';
import { ConfigError } from '../common/config/config-error.js';
import { loadConfig } from '../common/config/load-config.js';
import { MediaSpreadError } from '../common/errors.js';
import { openStore } from '../common/store/open-store.js';
import { storeSchema } from '../common/store/store-config.js';
import { ManagementApiClient } from './api-client.js';
import { ServicesRepository } from './services-repository.js';

const USAGE = `usage: mediaspread admin COMMAND
  init [--config FILE]                        create the super service (prints its id and key once)
  rooms list                                  list rooms of the service
  rooms create NAME                           create a room with default settings
  rooms delete ROOM_ID                        delete a room
  token ROOM_ID --user U --role R [--isp I] [--region R]
                                              issue a client token
  help
API commands sign with --service-id/--service-key and call --url, or take them from
MEDIASPREAD_SERVICE_ID, MEDIASPREAD_SERVICE_KEY and MEDIASPREAD_API_URL.`;

export interface AdminIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: AdminIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

class UsageError extends Error {}

/** The configuration sections init needs; other sections of the file are ignored. */
const initConfigSchema = z.object({ store: storeSchema.prefault({}) }).loose();

/**
 * `mediaspread admin ...`. Returns the exit code: 0 done, 1 failed, 2 bad usage.
 * Never prints a service key except the super service's, once, on init.
 */
export async function runAdminCommand(argv: string[], io: AdminIo = defaultIo): Promise<number> {
  try {
    const { positionals, flags } = parseFlags(argv);
    const [command, sub] = positionals;
    switch (command) {
      case undefined:
      case 'help':
        io.stdout(`${USAGE}\n`);
        return 0;
      case 'init':
        return await init(flags, io);
      case 'rooms':
        return await rooms(sub, positionals[2], flags, io);
      case 'token':
        return await token(sub, flags, io);
      default:
        throw new UsageError(`unknown admin command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`mediaspread admin: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr(`mediaspread admin: ${err.message}\n`);
      return 2;
    }
    const message = err instanceof MediaSpreadError || err instanceof Error ? err.message : String(err);
    io.stderr(`mediaspread admin: ${message}\n`);
    return 1;
  }
}

async function init(flags: Map<string, string>, io: AdminIo): Promise<number> {
  const config = loadConfig(initConfigSchema, { file: flags.get('config'), env: io.env });
  const store = await openStore(config.store);
  try {
    const services = new ServicesRepository(store);
    const existing = await services.findSuper();
    if (existing) {
      io.stderr(
        `A super service already exists (id ${existing._id}); nothing changed. Its key was printed when it was created.\n`,
      );
      return 1;
    }
    const created = await services.create({ name: 'superService', isSuper: true });
    io.stdout(
      `Super service created. Keep the key safe: it is not shown again.\n` +
        `MEDIASPREAD_SERVICE_ID=${created._id}\nMEDIASPREAD_SERVICE_KEY=${created.key}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

async function rooms(
  sub: string | undefined,
  arg: string | undefined,
  flags: Map<string, string>,
  io: AdminIo,
) {
  const client = apiClient(flags, io);
  switch (sub) {
    case 'list': {
      const res = await client.requestOk('GET', '/v1/rooms?per_page=500');
      const list = res.json as Array<{ _id: string; name: string }>;
      for (const room of list) io.stdout(`${room._id}  ${room.name}\n`);
      const total = res.headers.get('x-total-count');
      if (total && Number(total) > list.length) io.stdout(`(${list.length} of ${total} shown)\n`);
      return 0;
    }
    case 'create': {
      if (!arg) throw new UsageError('rooms create needs a NAME');
      const res = await client.requestOk('POST', '/v1/rooms', { name: arg, options: {} });
      io.stdout(`${(res.json as { _id: string })._id}\n`);
      return 0;
    }
    case 'delete': {
      if (!arg) throw new UsageError('rooms delete needs a ROOM_ID');
      await client.requestOk('DELETE', `/v1/rooms/${encodeURIComponent(arg)}`);
      io.stdout(`room ${arg} deleted\n`);
      return 0;
    }
    default:
      throw new UsageError(`rooms needs list, create NAME or delete ROOM_ID`);
  }
}

async function token(room: string | undefined, flags: Map<string, string>, io: AdminIo): Promise<number> {
  if (!room) throw new UsageError('token needs a ROOM_ID');
  const user = flags.get('user');
  const role = flags.get('role');
  if (!user || !role) throw new UsageError('token needs --user and --role');
  const preference: Record<string, string> = {};
  for (const k of ['isp', 'region']) {
    const v = flags.get(k);
    if (v) preference[k] = v;
  }
  const client = apiClient(flags, io);
  const res = await client.requestOk('POST', `/v1/rooms/${encodeURIComponent(room)}/tokens`, {
    user,
    role,
    preference,
  });
  io.stdout(`${res.text}\n`);
  return 0;
}

function apiClient(flags: Map<string, string>, io: AdminIo): ManagementApiClient {
  const url = flags.get('url') ?? io.env.MEDIASPREAD_API_URL ?? 'http://127.0.0.1:3000';
  const serviceId = flags.get('service-id') ?? io.env.MEDIASPREAD_SERVICE_ID;
  const serviceKey = flags.get('service-key') ?? io.env.MEDIASPREAD_SERVICE_KEY;
  if (!serviceId || !serviceKey) {
    throw new UsageError(
      'a service id and key are needed (--service-id/--service-key or MEDIASPREAD_SERVICE_ID/_KEY)',
    );
  }
  return new ManagementApiClient({ url, serviceId, serviceKey });
}

const VALUE_FLAGS = new Set(['config', 'url', 'service-id', 'service-key', 'user', 'role', 'isp', 'region']);

function parseFlags(argv: string[]): { positionals: string[]; flags: Map<string, string> } {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!VALUE_FLAGS.has(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positionals, flags };
}
