import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { hasNodeRole } from '../agents/node-roles.js';
import { PURPOSES } from '../cluster-manager/protocol.js';
import { LocalBus } from '../common/rpc/local-bus.js';
import type { MediaspreadConfig } from './config-schema.js';
import { startDemoServer } from './demo-server.js';
import { startClusterManager } from './run-part.js';
import type { RunningPart } from './running-part.js';
import { startAgent } from './start-agent.js';
import { startManagementApi } from './start-management-api.js';
import { startPortal } from './start-portal.js';

/** The built browser SDK and demo page (scripts/setup.sh builds it). */
const CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

/**
 * Every part on one machine: the in-process bus, bridged to node processes over IPC, and the
 * embedded store. Agents start for the purposes whose node role exists.
 */
export async function runAllInOne(config: MediaspreadConfig): Promise<RunningPart[]> {
  ensureClusterSecret(config);
  const bus = new LocalBus({ defaultTimeoutMs: config.rpc.defaultTimeoutMs });
  // Stopped in reverse order: the bus goes last.
  const parts: RunningPart[] = [{ name: 'local-bus', stop: () => bus.close() }];
  try {
    parts.push(await startClusterManager(bus, config));
    const api = await startManagementApi(bus, config, { createSuperService: true });
    parts.push(api);
    for (const purpose of PURPOSES) {
      if (!hasNodeRole(purpose)) continue;
      parts.push(
        await startAgent({
          purpose,
          config,
          bus,
          nodeRpc: { ...config.rpc, transport: 'local' },
          attachChild: (child) => bus.attachChild(child),
          // One machine: there is no other worker to move to, so a busy CPU must not refuse work.
          defaultMaxLoad: 1,
        }),
      );
    }
    // Last, so that it stops first: participants leave while their conference nodes still run.
    parts.push(await startPortal(bus, config));
    if (api.superService) {
      const demo = await startDemoServer({
        config: config.demo,
        staticDir: CLIENT_DIST,
        api: { url: api.url, serviceId: api.superService.id, serviceKey: api.superService.key },
      });
      if (demo) parts.push(demo);
    }
  } catch (err) {
    for (const part of parts.reverse()) await part.stop().catch(() => undefined);
    throw err;
  }
  return parts;
}

/**
 * Internal links between this machine's nodes are authenticated like any others: without a
 * configured secret, one is made for this run and handed to the nodes through the environment
 * they inherit (base64url, so that the env parser keeps it a string).
 */
function ensureClusterSecret(config: MediaspreadConfig): void {
  if (config.cluster.secret) return;
  config.cluster.secret = randomBytes(32).toString('base64url');
  process.env.MEDIASPREAD__cluster__secret = config.cluster.secret;
}
