import { AuthenticationError } from '../common/auth/auth-errors.js';
import {
  MediaSpreadError,
  type MediaSpreadErrorOptions,
  NotFoundError,
  NotImplementedError,
  PermissionDeniedError,
  ValidationError,
} from '../common/errors.js';
import { DuplicateIdError, StoreUnavailableError } from '../common/store/store-errors.js';

/** Request body above managementApi.maxBodyBytes (413). */
export class BodyTooLargeError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'BODY_TOO_LARGE', ...options });
  }
}

/** A part the request depends on (cluster manager, an agent) cannot be reached now (503). */
export class ServiceUnavailableError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAVAILABLE', ...options });
  }
}

/** Path exists, method does not (405). */
export class MethodNotAllowedError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'METHOD_NOT_ALLOWED', ...options });
  }
}

/** Errors of classes not registered here (raised by another part) are mapped by their code. */
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
};

/** HTTP status for an error; anything unknown is a 500. */
export function httpStatusOf(err: unknown): number {
  if (err instanceof ValidationError) return 400;
  if (err instanceof AuthenticationError) return 401;
  if (err instanceof PermissionDeniedError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof MethodNotAllowedError) return 405;
  if (err instanceof DuplicateIdError) return 409;
  if (err instanceof BodyTooLargeError) return 413;
  if (err instanceof NotImplementedError) return 501;
  if (err instanceof ServiceUnavailableError || err instanceof StoreUnavailableError) return 503;
  if (err instanceof MediaSpreadError) return STATUS_BY_CODE[err.code] ?? 500;
  return 500;
}
