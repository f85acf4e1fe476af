import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../common/errors.js';

/** No in-service worker of the purpose is under its max load and fits the preference. */
export class NoWorkerAvailableError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NO_WORKER', ...options });
  }
}

/** A call reached an instance that was losing leadership; retry (the standby takes over). */
export class ClusterManagerStandbyError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAVAILABLE', ...options });
  }
}

registerErrorClass(NoWorkerAvailableError);
registerErrorClass(ClusterManagerStandbyError);
