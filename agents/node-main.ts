/**
 * Entry point of a worker node process, forked by an agent. Serves its RPC id with the base
 * methods and its purpose's role, and exits when its agent goes away (IPC disconnect) so that
 * no orphan outlives a killed agent.
 */

import { configureLogging, createLogger } from '../common/logger.js';
import { createBus, createChildBus } from '../common/rpc/create-bus.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { loadNodeRole, type NodeRole } from './node-roles.js';
import { readNodeSpec } from './node-spec.js';

const spec = readNodeSpec(process.env);
configureLogging({ level: spec.logLevel });
const log = createLogger('node', { nodeId: spec.id, purpose: spec.purpose });

let bus: RpcBus | undefined;
let role: NodeRole | undefined;
let stopping = false;

/** A node that cannot close its role and bus in this time exits anyway. */
const STOP_DEADLINE_MS = 3000;

async function stop(reason: string, code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    log.info({ reason }, 'node stopping');
    setTimeout(() => process.exit(code), STOP_DEADLINE_MS).unref();
    await role?.close().catch((err: unknown) => log.error({ err }, 'role close failed'));
    await bus?.close().catch(() => undefined);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const nodeBus = spec.rpc.transport === 'amqp' ? await createBus(spec.rpc) : createChildBus();
  bus = nodeBus;
  const factory = await loadNodeRole(spec.purpose);
  role = factory ? await factory({ spec, bus: nodeBus }) : undefined;
  const startedAt = Date.now();
  await nodeBus.serve(spec.id, {
    ...role?.handlers,
    ping: () => 'pong',
    info: () => ({
      id: spec.id,
      purpose: spec.purpose,
      pid: process.pid,
      startedAt,
      role: role ? spec.purpose : 'bare',
    }),
  });
  log.debug('node ready');
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.on('disconnect', () => void stop('agent gone'));
// The agent may have died while this module was loading, before the listener existed.
if (!process.connected) void stop('agent gone');
main().catch((err: unknown) => {
  log.fatal({ err }, 'node failed to start');
  void stop('start failure', 1);
});
