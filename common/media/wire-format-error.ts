import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/** Bytes that do not form a valid internal-link message (truncated, bad enum, bad length…). */
export class WireFormatError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'WIRE_FORMAT', ...options });
  }
}

registerErrorClass(WireFormatError);
