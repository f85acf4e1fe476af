import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createLogger } from '../common/logger.js';
import { ApiRequestError, ManagementApiClient } from '../management-api/api-client.js';
import { readJsonBody } from '../management-api/http/read-body.js';
import { createStaticHandler } from '../portal/static-files.js';
import type { RunningPart } from './running-part.js';

const log = createLogger('demo-server');

/** `[demo]`: the demo page and its development-only token endpoint (all-in-one mode only). */
export const demoSchema = z
  .object({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3001),
    /** Rooms created by the page get this name prefix, so operators can tell them apart. */
    roomName: z.string().min(1).default('demo'),
  })
  .strict();
export type DemoConfig = z.output<typeof demoSchema>;

const tokenRequestSchema = z
  .object({
    /** An existing room id; absent: the demo room (created on first use). */
    room: z
      .string()
      .regex(/^[0-9a-f]{24}$/, 'a room id')
      .optional(),
    user: z.string().min(1).max(64),
    role: z.string().min(1).max(64).default('presenter'),
  })
  .strict();

export interface DemoServerOptions {
  config: DemoConfig;
  /** The built client (client/dist): index of the demo page under demo/. */
  staticDir: string;
  /** The local management API and the super service, through which tokens are issued. */
  api: { url: string; serviceId: string; serviceKey: string };
}

/**
 * Serves the demo page and `POST /dev/token {room?, user, role} → {token, room}`. The token
 * goes through the real REST API (MAuth, validation, portal choice), signed as the super
 * service, so the page exercises exactly what an application would. Development only: the
 * launcher never starts it in cluster mode.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<RunningPart | undefined> {
  if (!options.config.enabled) return undefined;
  if (!existsSync(options.staticDir)) {
    log.warn({ staticDir: options.staticDir }, 'demo page not built; run scripts/setup.sh');
    return undefined;
  }
  const client = new ManagementApiClient(options.api);
  const serveStatic = createStaticHandler(options.staticDir);
  let demoRoom: string | undefined;

  const demoRoomId = async (): Promise<string> => {
    if (demoRoom) return demoRoom;
    const rooms = (await client.requestOk('GET', '/v1/rooms?per_page=500')).json as {
      _id: string;
      name: string;
    }[];
    const found = rooms.find((r) => r.name === options.config.roomName);
    demoRoom =
      found?._id ??
      (
        (await client.requestOk('POST', '/v1/rooms', { name: options.config.roomName })).json as {
          _id: string;
        }
      )._id;
    return demoRoom;
  };

  const issueToken = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parsed = tokenRequestSchema.safeParse(await readJsonBody(req, 4096));
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      return sendJson(res, 400, { error: { code: 'INVALID_ARGUMENT', message: reason } });
    }
    const room = parsed.data.room ?? (await demoRoomId());
    const answer = await client.request('POST', `/v1/rooms/${room}/tokens`, {
      user: parsed.data.user,
      role: parsed.data.role,
    });
    if (answer.status !== 200)
      return sendJson(res, answer.status, answer.json ?? { error: { message: answer.text } });
    sendJson(res, 200, { token: answer.text, room });
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/dev/token' && req.method === 'POST') {
      issueToken(req, res).catch((err: unknown) => {
        const status = err instanceof ApiRequestError ? err.status : 500;
        log.warn({ err }, 'demo token request failed');
        sendJson(res, status, { error: { message: err instanceof Error ? err.message : String(err) } });
      });
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/demo/' });
      res.end();
      return;
    }
    serveStatic(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.config.port, options.config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.config.host}:${port}/`;
  return {
    name: 'demo',
    urls: { 'Demo page': url },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
