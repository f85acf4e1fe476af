import { InvalidTokenError } from './errors.js';

/** The OWT token: base64 of JSON `{tokenId, host, secure, webTransportUrl?, signature}`. */
export interface DecodedToken {
  tokenId: string;
  host: string;
  secure: boolean;
  webTransportUrl?: string;
}

/** The reconnection ticket: base64 of JSON `{participantId, ticketId, notBefore, notAfter, signature}`. */
export interface DecodedTicket {
  participantId: string;
  ticketId: string;
  notBefore: number;
  notAfter: number;
}

function decodeBase64Json(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(text));
  } catch (error) {
    throw new InvalidTokenError(`${what} is not base64 JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidTokenError(`${what} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

export function decodeToken(token: string): DecodedToken {
  const raw = decodeBase64Json(token, 'token');
  if (typeof raw.host !== 'string' || raw.host === '') throw new InvalidTokenError('token has no host');
  return {
    tokenId: String(raw.tokenId ?? ''),
    host: raw.host,
    secure: raw.secure === true,
    webTransportUrl: typeof raw.webTransportUrl === 'string' ? raw.webTransportUrl : undefined,
  };
}

/** Where to connect: like the OWT SDK, a host that already names a scheme is used as is. */
export function portalUrl(token: DecodedToken): string {
  if (token.host.includes('http')) return token.host;
  return `${token.secure ? 'https' : 'http'}://${token.host}`;
}

export function decodeTicket(ticket: string): DecodedTicket {
  const raw = decodeBase64Json(ticket, 'reconnection ticket');
  if (typeof raw.notAfter !== 'number' || typeof raw.participantId !== 'string') {
    throw new InvalidTokenError('reconnection ticket lacks participantId or notAfter');
  }
  return {
    participantId: raw.participantId,
    ticketId: String(raw.ticketId ?? ''),
    notBefore: typeof raw.notBefore === 'number' ? raw.notBefore : 0,
    notAfter: raw.notAfter,
  };
}
