import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { CLUSTER_MANAGER_ID } from '../../cluster-manager/protocol.js';
import { TokenService } from '../../common/auth/token-service.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { RpcHandlers, RpcServer } from '../../common/rpc/rpc-bus.js';
import { openStore } from '../../common/store/open-store.js';
import type { Store } from '../../common/store/store.js';
import { storeSchema } from '../../common/store/store-config.js';
import { ManagementApiClient } from '../../management-api/api-client.js';
import type { ManagementApiConfig } from '../../management-api/config.js';
import { runManagementApi } from '../../management-api/main.js';
import { type ServiceRecord, ServicesRepository } from '../../management-api/services-repository.js';
import { waitUntil } from '../support/wait-until.js';

export const TOKEN_KEY = 'test-cluster-token-key';
export const PORTAL_HOST = '127.0.0.1:8080';
const CONFERENCE_AGENT = 'conference-agent-test';

export interface HarnessOptions {
  config?: Partial<ManagementApiConfig>;
  /** Start the real cluster manager on the bus (default true). */
  clusterManager?: boolean;
  /** Register a portal worker with the cluster manager (default true). */
  portal?: boolean;
}

/**
 * A management API on an embedded store in a temp dir, a LocalBus with the real cluster
 * manager, a super service and an ordinary service. `goLive` plays a conference agent and node
 * for one room so the live paths can be exercised.
 */
export class ApiHarness {
  url = '';
  superService!: ServiceRecord;
  service!: ServiceRecord;
  readonly bus = new LocalBus({ defaultTimeoutMs: 2000 });
  store!: Store;
  tokens!: TokenService;
  private readonly dir = mkdtempSync(join(tmpdir(), 'ms-api-'));
  private manager?: ClusterManager;
  private closeApi?: () => Promise<void>;
  private readonly servers: RpcServer[] = [];
  private readonly liveNodes = new Map<string, string>();
  private agentServed = false;

  static async start(options: HarnessOptions = {}): Promise<ApiHarness> {
    const h = new ApiHarness();
    try {
      await h.init(options);
    } catch (err) {
      await h.close();
      throw err;
    }
    return h;
  }

  private async init(options: HarnessOptions): Promise<void> {
    if (options.clusterManager !== false) {
      this.manager = await runClusterManager(this.bus, { keepAliveIntervalMs: 600_000, recoveryTimeMs: 0 });
      await waitUntil(
        () =>
          this.bus.call(CLUSTER_MANAGER_ID, 'getWorkers', []).then(
            () => true,
            () => false,
          ),
        5000,
        'cluster manager serving',
      );
      if (options.portal !== false) {
        await this.bus.call(CLUSTER_MANAGER_ID, 'join', [
          {
            id: 'portal-test',
            purpose: 'portal',
            capacity: { isps: [], regions: [] },
            maxLoad: 1,
            info: { publicHost: PORTAL_HOST, secure: 0 },
          },
        ]);
      }
    }
    this.store = await openStore(storeSchema.parse({ dataDir: this.dir }));
    this.tokens = new TokenService({ store: this.store, key: TOKEN_KEY });
    const services = new ServicesRepository(this.store);
    this.superService = await services.create({ name: 'super', isSuper: true });
    this.service = await services.create({ name: 'tenant' });
    const api = await runManagementApi({
      bus: this.bus,
      store: this.store,
      tokens: this.tokens,
      config: { port: 0, ...options.config },
    });
    this.url = api.url;
    this.closeApi = api.close;
  }

  client(service: ServiceRecord = this.service): ManagementApiClient {
    return new ManagementApiClient({ url: this.url, serviceId: service._id, serviceKey: service.key });
  }

  /** Makes `roomId` live: the cluster manager schedules it on a test agent whose node serves `handlers`. */
  async goLive(roomId: string, handlers: RpcHandlers): Promise<string> {
    if (!this.agentServed) {
      this.agentServed = true;
      await this.bus.call(CLUSTER_MANAGER_ID, 'join', [
        { id: CONFERENCE_AGENT, purpose: 'conference', capacity: { isps: [], regions: [] }, maxLoad: 1 },
      ]);
      this.servers.push(
        await this.bus.serve(CONFERENCE_AGENT, {
          queryNode: (task: string) => this.liveNodes.get(task) ?? null,
        }),
      );
    }
    const nodeId = `conference-node-${roomId}`;
    this.servers.push(await this.bus.serve(nodeId, handlers));
    this.liveNodes.set(roomId, nodeId);
    await this.bus.call(CLUSTER_MANAGER_ID, 'schedule', ['conference', roomId, {}]);
    return nodeId;
  }

  async close(): Promise<void> {
    await this.closeApi?.();
    for (const s of this.servers) await s.close().catch(() => undefined);
    await this.manager?.stop();
    await this.bus.close();
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
