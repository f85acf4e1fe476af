import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/** insert() of an `_id` that is already there. */
export class DuplicateIdError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'ALREADY_EXISTS', ...options });
  }
}

/** The store cannot be opened or written (locked by another process, unreadable, closed). */
export class StoreUnavailableError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAVAILABLE', ...options });
  }
}

registerErrorClass(DuplicateIdError);
registerErrorClass(StoreUnavailableError);
