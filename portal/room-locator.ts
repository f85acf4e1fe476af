import type { NodeRequest } from '../agents/protocol.js';
import {
  CLUSTER_MANAGER_ID,
  type SchedulePreference,
  type ScheduleResult,
} from '../cluster-manager/protocol.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { RoomUnavailableError } from './errors.js';

/**
 * Finds a room's conference node: schedule('conference', roomId, preference) on the cluster
 * manager gives the agent, its getNode({task: roomId}) the node. Answers are cached while the
 * portal has participants in the room (forget() when the last one goes or the node is lost).
 */
export class RoomLocator {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly bus: RpcBus,
    private readonly timeoutMs: number,
  ) {}

  locate(roomId: string, preference: SchedulePreference): Promise<string> {
    let found = this.cache.get(roomId);
    if (!found) {
      found = this.lookUp(roomId, preference);
      this.cache.set(roomId, found);
      found.catch(() => {
        if (this.cache.get(roomId) === found) this.cache.delete(roomId);
      });
    }
    return found;
  }

  forget(roomId: string): void {
    this.cache.delete(roomId);
  }

  private async lookUp(roomId: string, preference: SchedulePreference): Promise<string> {
    try {
      const agent = await this.bus.call<ScheduleResult>(
        CLUSTER_MANAGER_ID,
        'schedule',
        ['conference', roomId, preference],
        { timeoutMs: this.timeoutMs },
      );
      const request: NodeRequest = { task: roomId, room: roomId };
      const nodeId = await this.bus.call<string>(agent.id, 'getNode', [request], {
        timeoutMs: this.timeoutMs,
      });
      if (typeof nodeId !== 'string' || nodeId === '') throw new Error(`agent ${agent.id} returned no node`);
      return nodeId;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new RoomUnavailableError(`cannot reach the room's conference node: ${reason}`, { cause: err });
    }
  }
}
