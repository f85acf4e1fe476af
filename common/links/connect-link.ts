import { randomUUID } from 'node:crypto';
import { createLogger } from '../logger.js';
import type { LinkTicket } from '../media/link-message.js';
import { LinkAuthError, LinkClosedError } from './link-errors.js';
import { offerHandshake } from './link-handshake.js';
import { DEFAULT_TICKET_TTL_MS, signTicket, type TicketClaims } from './link-ticket.js';
import type { LinkTransport } from './link-transport.js';
import { MediaLink, type MediaLinkOptions } from './media-link.js';
import { tcpTransport } from './tcp-transport.js';

const log = createLogger('link-client');

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface ConnectLinkOptions {
  host: string;
  port: number;
  localNodeId: string;
  remoteNodeId: string;
  /** The cluster secret (config `cluster.secret`). */
  secret: string;
  linkId?: string;
  transport?: LinkTransport;
  ticketTtlMs?: number;
  /** Per attempt: TCP connect plus handshake. */
  connectTimeoutMs?: number;
  /** Backoff between attempts after a drop or a failed attempt; false: never reconnect. */
  reconnect?: ReconnectOptions | false;
  /** Issues the ticket for each attempt (default: signTicket with the secret). For tests. */
  issueTicket?: (claims: TicketClaims) => LinkTicket;
  link?: MediaLinkOptions;
}

/**
 * Client side of a link: returns the link at once and keeps it connected: first attempt,
 * then reconnection with exponential backoff (jittered) after every drop, with a fresh ticket
 * each time. A refused ticket closes the link for good (retrying would not help).
 */
export function createClientLink(options: ConnectLinkOptions): MediaLink {
  if (!options.secret && !options.issueTicket) throw new TypeError('connectLink needs the cluster secret');
  const linkId = options.linkId ?? `${options.localNodeId}>${options.remoteNodeId}#${randomUUID()}`;
  const link = new MediaLink(linkId, options.localNodeId, options.remoteNodeId, 'client', options.link);
  const transport = options.transport ?? tcpTransport;
  const reconnect = options.reconnect === false ? undefined : (options.reconnect ?? {});
  const initialDelay = reconnect?.initialDelayMs ?? 100;
  const maxDelay = reconnect?.maxDelayMs ?? 5_000;
  const issue = options.issueTicket ?? ((claims: TicketClaims) => signTicket(claims, options.secret));
  let delay = initialDelay;
  let timer: NodeJS.Timeout | undefined;
  let attempting = false;
  // A function, not an inline test: the state changes across the awaits below.
  const closed = (): boolean => link.state === 'closed';

  const attempt = async (): Promise<void> => {
    timer = undefined;
    if (closed() || attempting) return;
    attempting = true;
    try {
      const conn = await transport.connect(options.host, options.port, options.connectTimeoutMs ?? 5_000);
      if (closed()) {
        conn.destroy();
        return;
      }
      conn.on('error', () => {}); // surfaced as the handshake's or link's close
      const ticket = issue({
        linkId,
        sourceNodeId: options.localNodeId,
        destNodeId: options.remoteNodeId,
        expiresAt: Date.now() + (options.ticketTtlMs ?? DEFAULT_TICKET_TTL_MS),
      });
      let handshake: Awaited<ReturnType<typeof offerHandshake>>;
      try {
        handshake = await offerHandshake(conn, ticket, options.connectTimeoutMs ?? 5_000);
      } catch (err) {
        conn.destroy();
        throw err;
      }
      if (closed()) {
        conn.destroy();
        return;
      }
      delay = initialDelay;
      link.attach(conn, handshake.deframer);
    } catch (err) {
      if (err instanceof LinkAuthError) {
        log.warn({ linkId, err: err.message }, 'link refused; not retrying');
        if (link.listenerCount('error') > 0) link.emit('error', err);
        link.close(err.message);
        return;
      }
      log.debug({ linkId, err: (err as Error).message }, 'link attempt failed');
      schedule();
    } finally {
      attempting = false;
    }
  };

  const schedule = (): void => {
    if (closed() || timer) return;
    if (!reconnect) {
      link.close('connection lost (reconnect disabled)');
      return;
    }
    const jittered = delay * (0.8 + Math.random() * 0.4);
    delay = Math.min(maxDelay, delay * 2);
    timer = setTimeout(() => void attempt(), jittered);
    timer.unref();
  };

  link.on('disconnect', () => schedule());
  link.on('close', () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  });
  void attempt();
  return link;
}

/**
 * Like createClientLink, but resolves once the link is first open; rejects (and closes the
 * link) if it is refused or does not open within openTimeoutMs.
 */
export function connectLink(options: ConnectLinkOptions & { openTimeoutMs?: number }): Promise<MediaLink> {
  const link = createClientLink(options);
  const timeoutMs = options.openTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let failure: Error | undefined;
    const onError = (err: Error) => {
      failure = err;
    };
    const cleanup = () => {
      clearTimeout(timer);
      link.off('open', onOpen);
      link.off('close', onClose);
      link.off('error', onError);
    };
    const onOpen = () => {
      cleanup();
      resolve(link);
    };
    const onClose = (reason: string) => {
      cleanup();
      reject(failure ?? new LinkClosedError(`link closed before opening: ${reason}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      link.close('open timeout');
      reject(new LinkClosedError(`link to ${options.remoteNodeId} did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    link.on('open', onOpen);
    link.on('close', onClose);
    link.on('error', onError);
  });
}
