import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../common/errors.js';

/** The agent runs its maximum number of nodes and none has room for another task. */
export class NodePoolExhaustedError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NODE_POOL_EXHAUSTED', ...options });
  }
}

/** A node process failed to start or to report ready in time. */
export class NodeStartError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NODE_START_FAILED', ...options });
  }
}

registerErrorClass(NodePoolExhaustedError);
registerErrorClass(NodeStartError);
