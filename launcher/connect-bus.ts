import type { RpcConfig } from '../common/config/base-schema.js';
import { createLogger } from '../common/logger.js';
import { createBus } from '../common/rpc/create-bus.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';

/**
 * The bus of a cluster-mode part. The broker may come up after the part (compose, systemd,
 * k8s): keep trying for `waitMs` before giving up with the last error.
 */
export async function connectBus(config: RpcConfig, waitMs = 60_000): Promise<RpcBus> {
  const log = createLogger('launcher');
  const deadline = Date.now() + waitMs;
  let delayMs = 250;
  for (;;) {
    try {
      return await createBus(config);
    } catch (err) {
      if (Date.now() + delayMs > deadline) throw err;
      log.warn({ err: (err as Error).message, retryInMs: delayMs }, 'RPC broker not reachable yet');
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}
