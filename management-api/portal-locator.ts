import { CLUSTER_MANAGER_ID, type ScheduleResult, type WorkerView } from '../cluster-manager/protocol.js';
import type { TokenPreference } from '../common/auth/token-service.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { ServiceUnavailableError } from './errors.js';

export interface PortalAddress {
  /** `name:port`, no scheme. */
  host: string;
  secure: boolean;
  webTransportUrl?: string;
}

/** How long the scheduled portal is kept for the token (its lifetime). */
const PORTAL_RESERVE_MS = 3 * 60 * 1000;

/**
 * Picks the portal a token points to: schedule('portal', tokenId, preference) on the cluster
 * manager, then the worker's `info` as registered by the portal agent: `publicHost`
 * ("name:port", required), `secure` (1 or 'true'), `webTransportUrl` (optional).
 */
export class PortalLocator {
  constructor(
    private readonly bus: RpcBus,
    private readonly timeoutMs: number,
  ) {}

  async pick(taskId: string, preference: TokenPreference): Promise<PortalAddress> {
    let worker: WorkerView;
    try {
      const scheduled = await this.bus.call<ScheduleResult>(
        CLUSTER_MANAGER_ID,
        'schedule',
        ['portal', taskId, preference, PORTAL_RESERVE_MS],
        { timeoutMs: this.timeoutMs },
      );
      worker = await this.bus.call<WorkerView>(CLUSTER_MANAGER_ID, 'getWorker', [scheduled.id], {
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ServiceUnavailableError(`no portal available: ${reason}`, { cause: err });
    }
    const info = worker.info ?? {};
    const host = info.publicHost;
    if (typeof host !== 'string' || host === '') {
      throw new ServiceUnavailableError(`portal ${worker.id} did not register its public host`);
    }
    const secure = info.secure === 1 || info.secure === 'true';
    const wt = info.webTransportUrl;
    return { host, secure, ...(typeof wt === 'string' && wt !== '' ? { webTransportUrl: wt } : {}) };
  }
}
