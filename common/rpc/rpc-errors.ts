import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/**
 * Errors raised by the RPC layer itself (as opposed to errors thrown by handlers). They are
 * registered so that a bridged or remote caller rebuilds the same class.
 */

/** The handler did not answer within the call's timeout. */
export class RpcTimeoutError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RPC_TIMEOUT', ...options });
  }
}

/** Nobody serves the target id. */
export class RpcTargetUnavailableError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RPC_TARGET_UNAVAILABLE', ...options });
  }
}

/** The call was in flight when the broker connection or the parent/child link went away. */
export class RpcConnectionLostError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RPC_CONNECTION_LOST', ...options });
  }
}

/** The target is served but has no handler of that name. */
export class RpcMethodNotFoundError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RPC_METHOD_NOT_FOUND', ...options });
  }
}

/** The bus was closed by its owner. */
export class RpcBusClosedError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RPC_BUS_CLOSED', ...options });
  }
}

for (const cls of [
  RpcTimeoutError,
  RpcTargetUnavailableError,
  RpcConnectionLostError,
  RpcMethodNotFoundError,
  RpcBusClosedError,
]) {
  registerErrorClass(cls);
}

export const timeoutError = (target: string, method: string, timeoutMs: number): RpcTimeoutError =>
  new RpcTimeoutError(`call ${target}.${method} timed out after ${timeoutMs} ms`, {
    data: { target, method, timeoutMs },
  });

export const targetUnavailableError = (target: string, method: string): RpcTargetUnavailableError =>
  new RpcTargetUnavailableError(`no server for ${target} (calling ${method})`, { data: { target, method } });

export const connectionLostError = (target: string, method: string, link: string): RpcConnectionLostError =>
  new RpcConnectionLostError(`${link} lost while calling ${target}.${method}`, {
    data: { target, method },
  });

export const methodNotFoundError = (target: string, method: string): RpcMethodNotFoundError =>
  new RpcMethodNotFoundError(`${target} has no method ${method}`, { data: { target, method } });

export const busClosedError = (target: string, method: string): RpcBusClosedError =>
  new RpcBusClosedError(`bus closed; cannot call ${target}.${method}`, { data: { target, method } });
