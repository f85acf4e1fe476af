import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/** The peer broke the link protocol (oversized message, unexpected message, bad bytes). */
export class LinkProtocolError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'LINK_PROTOCOL', ...options });
  }
}

/** The link could not be authenticated (bad, expired or replayed ticket). */
export class LinkAuthError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'LINK_AUTH', ...options });
  }
}

/** The link is closed for good (no more reconnects); sends fail with this. */
export class LinkClosedError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'LINK_CLOSED', ...options });
  }
}

for (const cls of [LinkProtocolError, LinkAuthError, LinkClosedError]) registerErrorClass(cls);
