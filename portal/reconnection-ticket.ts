import { randomBytes } from 'node:crypto';
import { owtSignature, safeEqual } from '../common/auth/hmac.js';
import { TicketInvalidError } from './errors.js';

/** OWT's reconnection ticket: base64(JSON of this). */
export interface ReconnectionTicket {
  participantId: string;
  ticketId: string;
  notBefore: number;
  notAfter: number;
  signature: string;
}

/** Signs and checks reconnection tickets with the portal's server key. */
export class TicketSigner {
  constructor(
    private readonly serverKey: string,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(participantId: string): { ticket: string; ticketId: string; notAfter: number } {
    const notBefore = this.now();
    const notAfter = notBefore + this.lifetimeMs;
    const ticketId = randomBytes(12).toString('hex');
    const body: ReconnectionTicket = {
      participantId,
      ticketId,
      notBefore,
      notAfter,
      signature: sign(this.serverKey, participantId, notBefore, notAfter),
    };
    return { ticket: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'), ticketId, notAfter };
  }

  /** Signed by us and inside its validity window; the caller checks it is the participant's current one. */
  verify(ticket: string): ReconnectionTicket {
    const t = decodeTicket(ticket);
    const expected = sign(this.serverKey, t.participantId, t.notBefore, t.notAfter);
    if (!safeEqual(expected, t.signature)) throw new TicketInvalidError('ticket signature does not verify');
    const now = this.now();
    if (now < t.notBefore || now >= t.notAfter) throw new TicketInvalidError('ticket expired');
    return t;
  }
}

function sign(key: string, participantId: string, notBefore: number, notAfter: number): string {
  return owtSignature(key, `${participantId},${notBefore},${notAfter}`);
}

function decodeTicket(ticket: string): ReconnectionTicket {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(ticket, 'base64').toString('utf8'));
  } catch {
    throw new TicketInvalidError('ticket is not base64 JSON');
  }
  if (typeof value !== 'object' || value === null) throw new TicketInvalidError('ticket is not an object');
  const v = value as Record<string, unknown>;
  if (
    typeof v.participantId !== 'string' ||
    typeof v.ticketId !== 'string' ||
    typeof v.notBefore !== 'number' ||
    typeof v.notAfter !== 'number' ||
    typeof v.signature !== 'string'
  ) {
    throw new TicketInvalidError('ticket lacks participantId, ticketId, notBefore, notAfter or signature');
  }
  return {
    participantId: v.participantId,
    ticketId: v.ticketId,
    notBefore: v.notBefore,
    notAfter: v.notAfter,
    signature: v.signature,
  };
}
