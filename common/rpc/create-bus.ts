import type { RpcConfig } from '../config/base-schema.js';
import { ValidationError } from '../errors.js';
import { AmqpBus } from './amqp-bus.js';
import { IpcBus } from './ipc-bus.js';
import { LocalBus } from './local-bus.js';
import type { RpcBus } from './rpc-bus.js';

/** The bus of a top-level process, as configured (`[rpc] transport = local | amqp`). */
export async function createBus(config: RpcConfig): Promise<RpcBus> {
  if (config.transport === 'amqp') {
    return AmqpBus.connect({ url: config.amqpUrl, defaultTimeoutMs: config.defaultTimeoutMs });
  }
  return new LocalBus({ defaultTimeoutMs: config.defaultTimeoutMs });
}

/**
 * The bus of a worker node forked by an agent: its parent's bus through the IPC channel
 * (the parent calls `localBus.attachChild(child)`). Throws when there is no IPC channel.
 */
export function createChildBus(options: { defaultTimeoutMs?: number } = {}): IpcBus {
  if (typeof process.send !== 'function') {
    throw new ValidationError('createChildBus: this process was not forked with an IPC channel');
  }
  return new IpcBus(options);
}
