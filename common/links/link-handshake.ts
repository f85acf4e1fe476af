import { decodeMessage, encodeMessageChunks } from '../media/frame-wire.js';
import type { LinkMessage, LinkTicket } from '../media/link-message.js';
import { LinkAuthError, LinkProtocolError } from './link-errors.js';
import type { TransportConnection } from './link-transport.js';
import { MessageDeframer } from './message-deframer.js';

/** A hello is small; nothing bigger is buffered from an unauthenticated peer. */
export const HANDSHAKE_MAX_MESSAGE_BYTES = 1024;

export interface HandshakeResult {
  /** Holds bytes read past the handshake; the link continues with it. */
  deframer: MessageDeframer;
}

/**
 * Waits for the first message on a fresh connection. The connection is left paused so that
 * no byte is lost between the handshake and the link taking over (attach resumes it).
 */
function firstMessage(
  conn: TransportConnection,
  timeoutMs: number,
): Promise<HandshakeResult & { first: LinkMessage }> {
  return new Promise((resolve, reject) => {
    const deframer = new MessageDeframer(HANDSHAKE_MAX_MESSAGE_BYTES);
    const cleanup = () => {
      clearTimeout(timer);
      conn.off('data', onData);
      conn.off('close', onClose);
      conn.off('error', onError);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new LinkProtocolError(`no handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    const onClose = () => {
      cleanup();
      reject(new LinkProtocolError('connection closed during the handshake'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new LinkProtocolError(`connection failed during the handshake: ${err.message}`, { cause: err }));
    };
    const onData = (chunk: Buffer) => {
      let bodies: Buffer[];
      let first: LinkMessage;
      try {
        // Only the first message is taken here: what follows is checked against the link's limits.
        bodies = deframer.push(chunk, 1);
        if (bodies.length === 0) return;
        first = decodeMessage(bodies[0]!);
      } catch (err) {
        cleanup();
        reject(new LinkProtocolError(`bad handshake: ${(err as Error).message}`, { cause: err }));
        return;
      }
      cleanup();
      conn.pause();
      resolve({ first, deframer });
    };
    conn.on('data', onData);
    conn.on('close', onClose);
    conn.on('error', onError);
  });
}

/** Server side: the first message must be a hello; returns its ticket for verification. */
export async function acceptHandshake(
  conn: TransportConnection,
  timeoutMs: number,
): Promise<HandshakeResult & { ticket: LinkTicket }> {
  const { first, deframer } = await firstMessage(conn, timeoutMs);
  if (first.type !== 'hello') throw new LinkProtocolError(`expected hello, got ${first.type}`);
  return { ticket: first.ticket, deframer };
}

/** Client side: presents the ticket, then waits for welcome (or reject → LinkAuthError). */
export async function offerHandshake(
  conn: TransportConnection,
  ticket: LinkTicket,
  timeoutMs: number,
): Promise<HandshakeResult & { resumed: boolean }> {
  conn.write(encodeMessageChunks({ type: 'hello', ticket }));
  const { first, deframer } = await firstMessage(conn, timeoutMs);
  if (first.type === 'reject') {
    throw new LinkAuthError(`link refused (${first.code}): ${first.reason}`, { data: { code: first.code } });
  }
  if (first.type !== 'welcome') throw new LinkProtocolError(`expected welcome, got ${first.type}`);
  return { resumed: first.resumed, deframer };
}
