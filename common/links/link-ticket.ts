import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ByteWriter, encodeString } from '../media/byte-writer.js';
import { ID_MAX_BYTES } from '../media/frame-wire.js';
import {
  type LinkTicket,
  type RejectCode,
  TICKET_NONCE_BYTES,
  TICKET_SIGNATURE_BYTES,
} from '../media/link-message.js';

/** Domain separation: a ticket signature can never be mistaken for another HMAC of the secret. */
const TICKET_CONTEXT = Buffer.from('mediaspread/link-ticket/v1\0', 'utf8');
export const DEFAULT_TICKET_TTL_MS = 60_000;

export interface TicketClaims {
  linkId: string;
  sourceNodeId: string;
  destNodeId: string;
  expiresAt: number;
  nonce?: Uint8Array;
}

/** The exact bytes signed: context, then the claims in wire order and encoding. */
function signedBytes(c: Omit<LinkTicket, 'signature'>): Buffer {
  const link = encodeString(c.linkId, ID_MAX_BYTES, 'link id');
  const src = encodeString(c.sourceNodeId, ID_MAX_BYTES, 'source node id');
  const dst = encodeString(c.destNodeId, ID_MAX_BYTES, 'destination node id');
  const w = new ByteWriter(
    TICKET_CONTEXT.byteLength + 3 + link.byteLength + src.byteLength + dst.byteLength + 8 + 16,
  );
  w.bytes(TICKET_CONTEXT)
    .string(link, 1, 'link id')
    .string(src, 1, 'source node id')
    .string(dst, 1, 'destination node id')
    .i64(c.expiresAt, 'expiry')
    .bytes(c.nonce);
  return w.buffer;
}

function hmac(secret: string, bytes: Buffer): Buffer {
  return createHmac('sha256', secret).update(bytes).digest();
}

export function signTicket(claims: TicketClaims, secret: string): LinkTicket {
  const nonce = claims.nonce ?? randomBytes(TICKET_NONCE_BYTES);
  const unsigned = { ...claims, nonce };
  return { ...unsigned, signature: hmac(secret, signedBytes(unsigned)) };
}

export type TicketVerdict = { ok: true } | { ok: false; code: RejectCode; reason: string };

export interface TicketVerifierOptions {
  /** Tickets valid for longer than this are refused, which bounds how long nonces are kept. */
  maxTtlMs?: number;
  /** Tolerated clock difference between nodes. */
  clockSkewMs?: number;
  now?: () => number;
}

/**
 * Server side of link authentication: signature, destination, expiry, and single use of each
 * nonce. Nonces are remembered until their ticket expires (plus skew), then forgotten.
 */
export class TicketVerifier {
  private readonly seen = new Map<string, number>();
  private readonly maxTtlMs: number;
  private readonly clockSkewMs: number;
  private readonly now: () => number;
  private nextPurge = 0;

  constructor(
    private readonly secret: string,
    private readonly localNodeId: string,
    options: TicketVerifierOptions = {},
  ) {
    this.maxTtlMs = options.maxTtlMs ?? 5 * 60_000;
    this.clockSkewMs = options.clockSkewMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  verify(ticket: LinkTicket): TicketVerdict {
    if (
      ticket.nonce.byteLength !== TICKET_NONCE_BYTES ||
      ticket.signature.byteLength !== TICKET_SIGNATURE_BYTES
    ) {
      return { ok: false, code: 'bad-signature', reason: 'malformed ticket' };
    }
    const expected = hmac(this.secret, signedBytes(ticket));
    if (!timingSafeEqual(expected, ticket.signature)) {
      return { ok: false, code: 'bad-signature', reason: 'ticket signature does not verify' };
    }
    if (ticket.destNodeId !== this.localNodeId) {
      return { ok: false, code: 'wrong-destination', reason: `ticket is for node ${ticket.destNodeId}` };
    }
    const now = this.now();
    if (ticket.expiresAt + this.clockSkewMs <= now) {
      return { ok: false, code: 'expired', reason: 'ticket expired' };
    }
    if (ticket.expiresAt - now > this.maxTtlMs + this.clockSkewMs) {
      return { ok: false, code: 'expired', reason: 'ticket lifetime exceeds the allowed maximum' };
    }
    this.purge(now);
    const key = Buffer.from(ticket.nonce).toString('hex');
    if (this.seen.has(key)) return { ok: false, code: 'replayed', reason: 'ticket nonce already used' };
    this.seen.set(key, ticket.expiresAt + this.clockSkewMs);
    return { ok: true };
  }

  get rememberedNonces(): number {
    return this.seen.size;
  }

  private purge(now: number): void {
    if (now < this.nextPurge) return;
    this.nextPurge = now + 1_000;
    for (const [key, until] of this.seen) if (until <= now) this.seen.delete(key);
  }
}
