import { ConfigError } from '../common/config/config-error.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { ClusterManager, type ClusterManagerOptions } from './cluster-manager-service.js';
import { type ClusterManagerConfigInput, clusterManagerSchema } from './config.js';

/**
 * Entry point for the launcher: validates the `clusterManager` config section (defaults fill
 * what is absent), starts competing for leadership and returns the running instance.
 * Throws ConfigError on a bad section.
 */
export async function runClusterManager(
  bus: RpcBus,
  config: ClusterManagerConfigInput = {},
  options: ClusterManagerOptions = {},
): Promise<ClusterManager> {
  const parsed = clusterManagerSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(
      'clusterManager',
      parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    );
  }
  const manager = new ClusterManager(bus, parsed.data, options);
  await manager.start();
  return manager;
}
