import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/** publish/subscribe with an id that is already in use on this node. */
export class DuplicateIdError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'ALREADY_EXISTS', ...options });
  }
}

registerErrorClass(DuplicateIdError);
