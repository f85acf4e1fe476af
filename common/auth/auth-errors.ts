import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/** A request whose credentials are missing, malformed, forged, stale or replayed (HTTP 401). */
export class AuthenticationError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAUTHENTICATED', ...options });
  }
}

/** A client token that is malformed, forged, expired or already used. */
export class TokenInvalidError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAUTHENTICATED', ...options });
  }
}

registerErrorClass(AuthenticationError);
registerErrorClass(TokenInvalidError);
