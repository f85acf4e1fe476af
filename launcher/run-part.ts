import { runClusterManager } from '../cluster-manager/main.js';
import { PURPOSES, type Purpose } from '../cluster-manager/protocol.js';
import { ConfigError } from '../common/config/config-error.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import type { MediaspreadConfig } from './config-schema.js';
import { connectBus } from './connect-bus.js';
import { UsageError } from './parse-args.js';
import type { RunningPart } from './running-part.js';
import { startAgent } from './start-agent.js';
import { startManagementApi } from './start-management-api.js';
import { startPortal } from './start-portal.js';

export interface RunPartOptions {
  bare?: boolean;
}

/** Cluster mode: one part in this process, on RabbitMQ. */
export async function runPart(
  part: string,
  config: MediaspreadConfig,
  options: RunPartOptions = {},
): Promise<RunningPart> {
  if (config.rpc.transport !== 'amqp') {
    throw new UsageError(
      `cluster mode needs rpc.transport = "amqp" (got "${config.rpc.transport}"); use all-in-one for one machine`,
    );
  }
  // The portal is a worker without nodes: `portal` (or `portal-agent`) runs the portal itself.
  if (part === 'portal-agent') return runPart('portal', config, options);
  const purpose = part.endsWith('-agent') ? part.slice(0, -'-agent'.length) : undefined;
  if (purpose !== undefined && !PURPOSES.includes(purpose as Purpose))
    throw new UsageError(`unknown part '${part}'`);
  if (purpose === undefined && part !== 'cluster-manager' && part !== 'management-api' && part !== 'portal') {
    throw new UsageError(`unknown part '${part}'`);
  }
  if (purpose !== undefined && !config.cluster.secret) {
    // Media nodes on different machines authenticate internal links with it.
    throw new ConfigError('cluster mode', [
      { field: 'cluster.secret', message: 'required for agents in cluster mode (the same on every machine)' },
    ]);
  }
  const bus = await connectBus(config.rpc, config.rpc.connectWaitMs);
  const withBus = (running: RunningPart): RunningPart => ({
    ...running,
    stop: async () => {
      await running.stop();
      await bus.close();
    },
  });
  try {
    if (purpose !== undefined) {
      const running = await startAgent({
        purpose: purpose as Purpose,
        config,
        bus,
        nodeRpc: config.rpc,
        bare: options.bare,
      });
      return withBus(running);
    }
    if (part === 'cluster-manager') return withBus(await startClusterManager(bus, config));
    if (part === 'portal') return withBus(await startPortal(bus, config));
    return withBus(await startManagementApi(bus, config));
  } catch (err) {
    await bus.close().catch(() => undefined);
    throw err;
  }
}

export async function startClusterManager(bus: RpcBus, config: MediaspreadConfig): Promise<RunningPart> {
  const manager = await runClusterManager(bus, config.clusterManager);
  return { name: 'cluster-manager', stop: () => manager.stop() };
}
