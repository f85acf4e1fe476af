/**
 * Named errors shared by every part, and their wire form so that they cross RPC intact
 * (name, message, code). Parts define their own subclasses and register them so that the
 * receiving side rebuilds the same class.
 */

export interface WireError {
  name: string;
  message: string;
  code: string;
  data?: unknown;
}

export interface MediaSpreadErrorOptions {
  code?: string;
  cause?: unknown;
  data?: unknown;
}

export class MediaSpreadError extends Error {
  readonly code: string;
  readonly data: unknown;

  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'INTERNAL';
    this.data = options.data;
  }
}

/** An error raised on the other side of an RPC whose class is not registered here. */
export class RemoteError extends MediaSpreadError {}

export class ValidationError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'INVALID_ARGUMENT', ...options });
  }
}

export class NotFoundError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NOT_FOUND', ...options });
  }
}

export class PermissionDeniedError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'PERMISSION_DENIED', ...options });
  }
}

export class NotImplementedError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NOT_IMPLEMENTED', ...options });
  }
}

type ErrorClass = new (message: string, options?: MediaSpreadErrorOptions) => MediaSpreadError;
const registry = new Map<string, ErrorClass>();

export function registerErrorClass(cls: ErrorClass): void {
  registry.set(cls.name, cls);
}

for (const cls of [
  MediaSpreadError,
  ValidationError,
  NotFoundError,
  PermissionDeniedError,
  NotImplementedError,
]) {
  registerErrorClass(cls);
}

export function serializeError(err: unknown): WireError {
  if (err instanceof MediaSpreadError) {
    return { name: err.name, message: err.message, code: err.code, data: err.data };
  }
  if (err instanceof Error) {
    const { code } = err as { code?: unknown };
    return { name: err.name, message: err.message, code: typeof code === 'string' ? code : 'INTERNAL' };
  }
  return { name: 'Error', message: String(err), code: 'INTERNAL' };
}

export function deserializeError(wire: WireError): MediaSpreadError {
  const cls = registry.get(wire.name);
  const options = { code: wire.code, data: wire.data };
  if (cls) return new cls(wire.message, options);
  const err = new RemoteError(wire.message, options);
  err.name = wire.name;
  return err;
}

export function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === 'string' && typeof v.message === 'string' && typeof v.code === 'string';
}
