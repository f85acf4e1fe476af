import type { AddressInfo } from 'node:net';
import type { TokenService } from '../common/auth/token-service.js';
import { createLogger } from '../common/logger.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import type { Store } from '../common/store/store.js';
import { ConferenceClient } from './conference-client.js';
import { type ManagementApiConfig, managementApiSchema } from './config.js';
import { PortalLocator } from './portal-locator.js';
import { RoomsRepository } from './rooms-repository.js';
import { createApiServer } from './server.js';
import { ServicesRepository } from './services-repository.js';

const log = createLogger('management-api');

export interface ManagementApiDeps {
  bus: RpcBus;
  store: Store;
  tokens: TokenService;
  /** Parsed `[managementApi]` section; omitted fields take their defaults. */
  config: Partial<ManagementApiConfig> | ManagementApiConfig;
}

export interface RunningManagementApi {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  close(): Promise<void>;
}

/** Starts the REST server. Does not own bus, store or tokens: the caller closes them. */
export async function runManagementApi(deps: ManagementApiDeps): Promise<RunningManagementApi> {
  const config = managementApiSchema.parse(deps.config);
  const server = createApiServer({
    services: new ServicesRepository(deps.store),
    rooms: new RoomsRepository(deps.store),
    conference: new ConferenceClient(deps.bus, config.rpcTimeoutMs),
    portals: new PortalLocator(deps.bus, config.rpcTimeoutMs),
    tokens: deps.tokens,
    config,
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
  log.info({ url }, 'management API listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
