import type { EventEmitter } from 'node:events';
import { type ConnectLinkOptions, connectLink } from '../../common/links/connect-link.js';
import { LinkServer, type LinkServerOptions } from '../../common/links/link-server.js';
import type { MediaLink } from '../../common/links/media-link.js';

export const SECRET = 'test-cluster-secret';

/** Polls until the predicate holds; fails after timeoutMs. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with the arguments of the next `event`; rejects after timeoutMs. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for ${event}`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, listener);
  });
}

export async function startServer(overrides: Partial<LinkServerOptions> = {}): Promise<LinkServer> {
  return LinkServer.listen({ nodeId: 'node-b', secret: SECRET, host: '127.0.0.1', port: 0, ...overrides });
}

/** Connects node-a to the server and returns both ends of the link. */
export async function connectPair(
  server: LinkServer,
  overrides: Partial<ConnectLinkOptions> = {},
): Promise<{ client: MediaLink; serverLink: MediaLink }> {
  const accepted = nextEvent<[MediaLink]>(server, 'link');
  const client = await connectLink({
    host: server.host,
    port: server.port,
    localNodeId: 'node-a',
    remoteNodeId: server.nodeId,
    secret: SECRET,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...overrides,
  });
  const [serverLink] = await accepted;
  if (!serverLink.isOpen) await nextEvent(serverLink, 'open');
  return { client, serverLink };
}
