import type { RpcHandlers } from './rpc-bus.js';
import { methodNotFoundError } from './rpc-errors.js';

/**
 * Runs `handlers[method](...args)` and awaits it. Only own properties count, so that a caller
 * cannot reach `toString` or `constructor` of the handlers object.
 */
export async function invokeHandler(
  target: string,
  handlers: RpcHandlers,
  method: string,
  args: unknown[],
): Promise<unknown> {
  const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
  if (typeof handler !== 'function') throw methodNotFoundError(target, method);
  // Handlers validate their arguments themselves (they come from the wire).
  return await (handler as (...a: unknown[]) => unknown).apply(handlers, args as never[]);
}
