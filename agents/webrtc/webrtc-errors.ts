import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../../common/errors.js';

/** A transport, publication or subscription id this node does not know. */
export class UnknownSessionError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NOT_FOUND', ...options });
  }
}

/** The client's offer could not be applied (bad SDP, unknown mids, werift refused it). */
export class NegotiationError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NEGOTIATION_FAILED', ...options });
  }
}

registerErrorClass(UnknownSessionError);
registerErrorClass(NegotiationError);
