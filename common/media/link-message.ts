import type { MediaFeedback } from './media-feedback.js';
import type { MediaFrame } from './media-frame.js';

/**
 * Everything that travels on an internal link. Encoded by frame-wire.ts; the byte layout is
 * documented in docs/internal-links.md.
 */

/** Credential a link client presents first: HMAC-SHA256(cluster secret) over the other fields. */
export interface LinkTicket {
  linkId: string;
  sourceNodeId: string;
  destNodeId: string;
  /** Milliseconds since the Unix epoch. */
  expiresAt: number;
  /** 16 random bytes; a server accepts each nonce once. */
  nonce: Uint8Array;
  /** 32 bytes. */
  signature: Uint8Array;
}

export const TICKET_NONCE_BYTES = 16;
export const TICKET_SIGNATURE_BYTES = 32;

/** Why a server refused a link; sent in a `reject` message before it closes the socket. */
export const REJECT_CODES = {
  'bad-signature': 1,
  expired: 2,
  replayed: 3,
  'wrong-destination': 4,
  'protocol-error': 5,
  'unsupported-version': 6,
  'server-closing': 7,
} as const;
export type RejectCode = keyof typeof REJECT_CODES;

export type LinkMessage =
  | { type: 'hello'; ticket: LinkTicket }
  | { type: 'welcome'; resumed: boolean }
  | { type: 'reject'; code: RejectCode; reason: string }
  | { type: 'close'; reason: string }
  | { type: 'frame'; streamId: string; frame: MediaFrame }
  | { type: 'feedback'; streamId: string; feedback: MediaFeedback }
  | { type: 'announce'; streamId: string }
  | { type: 'end'; streamId: string }
  | { type: 'ping'; id: number }
  | { type: 'pong'; id: number };

export type LinkMessageType = LinkMessage['type'];
