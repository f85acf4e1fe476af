import type { Socket } from 'socket.io';
import { createLogger } from '../common/logger.js';
import { MessageTooLargeError, PortalRequestError, RateLimitedError } from './errors.js';
import type { Participant } from './participant.js';
import { RateLimiter } from './rate-limiter.js';

const log = createLogger('portal-connection');

/** Handles one request; the result goes into the `ok` ack, a thrown error's message into `error`. */
export type RequestHandler = (conn: ClientConnection, data: unknown) => Promise<unknown>;

export interface ConnectionLimits {
  maxMessageBytes: number;
  messagesPerSecond: number;
  burst: number;
}

type Ack = (status: 'ok' | 'error', result?: unknown) => void;

/**
 * One socket.io connection: every incoming event goes through the rate and size limits and
 * then to its handler; unknown events and refused requests get an `error` ack and the
 * session carries on.
 */
export class ClientConnection {
  /** Set by login/relogin, cleared by logout or when the participant goes. */
  participant: Participant | undefined;
  /** A login or relogin is under way (a second one is refused). */
  authenticating = false;
  private readonly limiter: RateLimiter;

  constructor(
    readonly socket: Socket,
    private readonly handlers: ReadonlyMap<string, RequestHandler>,
    private readonly limits: ConnectionLimits,
  ) {
    this.limiter = new RateLimiter(limits.messagesPerSecond, limits.burst);
    socket.onAny((event: unknown, ...args: unknown[]) => {
      void this.dispatch(String(event), args);
    });
  }

  private async dispatch(event: string, args: unknown[]): Promise<void> {
    const last = args.at(-1);
    const ack: Ack | undefined = typeof last === 'function' ? (last as Ack) : undefined;
    const data = ack ? (args.length > 1 ? args[0] : undefined) : args[0];
    try {
      if (!this.limiter.take()) throw new RateLimitedError();
      if (byteSize(data) > this.limits.maxMessageBytes) {
        throw new MessageTooLargeError(`message too large (limit ${this.limits.maxMessageBytes} bytes)`);
      }
      const handler = this.handlers.get(event);
      if (!handler) throw new PortalRequestError(`unknown request '${event.slice(0, 64)}'`);
      const result = await handler(this, data);
      ack?.('ok', result);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (!(err instanceof PortalRequestError)) log.info({ event, reason }, 'request failed');
      ack?.('error', reason);
    }
  }
}

function byteSize(data: unknown): number {
  if (data === undefined) return 0;
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  try {
    return Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
