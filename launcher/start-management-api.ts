import { serveTokenVerifier } from '../common/auth/token-rpc.js';
import { TokenService } from '../common/auth/token-service.js';
import { ConfigError } from '../common/config/config-error.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { loadOrCreateLocalSecret } from '../common/store/local-secret.js';
import { openStore } from '../common/store/open-store.js';
import { runManagementApi } from '../management-api/main.js';
import { serveRoomConfig } from '../management-api/room-config-rpc.js';
import { ServicesRepository } from '../management-api/services-repository.js';
import type { MediaspreadConfig } from './config-schema.js';
import type { RunningPart } from './running-part.js';

export interface StartManagementApiOptions {
  /** All-in-one: create the super service on first start and print its key once. */
  createSuperService?: boolean;
  /** Where to print the first-start credentials. */
  print?: (text: string) => void;
}

/**
 * The management API with its store and token service. Also serves token verification over
 * RPC, so that portals in other processes can check tokens even on the embedded store.
 */
export async function startManagementApi(
  bus: RpcBus,
  config: MediaspreadConfig,
  options: StartManagementApiOptions = {},
): Promise<RunningPart & { url: string; superService?: { id: string; key: string } }> {
  const tokenKey = resolveTokenKey(config);
  const store = await openStore(config.store);
  try {
    const services = new ServicesRepository(store);
    let superService = await services.findSuper();
    if (options.createSuperService && !superService) {
      superService = await services.create({ name: 'superService', isSuper: true });
      (options.print ?? ((t: string) => process.stdout.write(t)))(
        'First start: super service created. Keep the key safe, it is not shown again:\n' +
          `  MEDIASPREAD_SERVICE_ID=${superService._id}\n  MEDIASPREAD_SERVICE_KEY=${superService.key}\n`,
      );
    }
    const tokens = new TokenService({ store, key: tokenKey });
    const verifier = await serveTokenVerifier(bus, tokens);
    const roomConfig = await serveRoomConfig(bus, store);
    const api = await runManagementApi({ bus, store, tokens, config: config.managementApi });
    return {
      name: 'management-api',
      url: api.url,
      ...(superService ? { superService: { id: superService._id, key: superService.key } } : {}),
      urls: { 'REST API': `${api.url}/v1`, 'OpenAPI document': `${api.url}/v1/openapi.json` },
      stop: async () => {
        await api.close();
        await verifier.close();
        await roomConfig.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

/** The cluster-wide token key: configured, or kept in the data dir for a one-machine store. */
function resolveTokenKey(config: MediaspreadConfig): string {
  if (config.cluster.tokenKey) return config.cluster.tokenKey;
  if (config.store.type === 'embedded') return loadOrCreateLocalSecret(config.store.dataDir, 'token.key');
  throw new ConfigError('cluster', [
    {
      field: 'cluster.tokenKey',
      message: 'required with a shared store (every portal must verify the same tokens)',
    },
  ]);
}
