import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../common/errors.js';

/** A client request the portal refuses; its message is the `error` ack's reason. */
export class PortalRequestError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'BAD_REQUEST', ...options });
  }
}

export class NotLoggedInError extends PortalRequestError {
  constructor(message = 'not logged in', options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAUTHENTICATED', ...options });
  }
}

export class RateLimitedError extends PortalRequestError {
  constructor(message = 'too many messages', options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RESOURCE_EXHAUSTED', ...options });
  }
}

export class MessageTooLargeError extends PortalRequestError {
  constructor(message = 'message too large', options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RESOURCE_EXHAUSTED', ...options });
  }
}

export class TicketInvalidError extends PortalRequestError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAUTHENTICATED', ...options });
  }
}

/** The room's conference node cannot be found or reached. */
export class RoomUnavailableError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAVAILABLE', ...options });
  }
}

for (const cls of [
  PortalRequestError,
  NotLoggedInError,
  RateLimitedError,
  MessageTooLargeError,
  TicketInvalidError,
  RoomUnavailableError,
]) {
  registerErrorClass(cls);
}
