import { hasNodeRole } from '../agents/node-roles.js';
import { PURPOSES } from '../cluster-manager/protocol.js';
import { LocalBus } from '../common/rpc/local-bus.js';
import type { MediaspreadConfig } from './config-schema.js';
import { startClusterManager } from './run-part.js';
import type { RunningPart } from './running-part.js';
import { startAgent } from './start-agent.js';
import { startManagementApi } from './start-management-api.js';

/**
 * Every part on one machine: the in-process bus, bridged to node processes over IPC, and the
 * embedded store. Agents start for the purposes whose node role exists.
 */
export async function runAllInOne(config: MediaspreadConfig): Promise<RunningPart[]> {
  const bus = new LocalBus({ defaultTimeoutMs: config.rpc.defaultTimeoutMs });
  // Stopped in reverse order: the bus goes last.
  const parts: RunningPart[] = [{ name: 'local-bus', stop: () => bus.close() }];
  try {
    parts.push(await startClusterManager(bus, config));
    parts.push(await startManagementApi(bus, config, { createSuperService: true }));
    for (const purpose of PURPOSES) {
      if (!hasNodeRole(purpose)) continue;
      parts.push(
        await startAgent({
          purpose,
          config,
          bus,
          nodeRpc: { ...config.rpc, transport: 'local' },
          attachChild: (child) => bus.attachChild(child),
        }),
      );
    }
  } catch (err) {
    for (const part of parts.reverse()) await part.stop().catch(() => undefined);
    throw err;
  }
  return parts;
}
