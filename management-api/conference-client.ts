import type { NodeRequest } from '../agents/protocol.js';
import { CLUSTER_MANAGER_ID, type ScheduleResult } from '../cluster-manager/protocol.js';
import { NotImplementedError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { RpcMethodNotFoundError, RpcTargetUnavailableError } from '../common/rpc/rpc-errors.js';
import { OUTPUT_FINISH_TIMEOUT_MS } from '../conference/protocol.js';
import { ServiceUnavailableError } from './errors.js';

const log = createLogger('management-api.conference-client');

/**
 * Methods the management API calls on a room's conference node (the contract the conference
 * part implements; documented in docs/management-api.md). Every method takes the room id first.
 */
export type ConferenceMethod =
  | 'getParticipants'
  | 'getParticipant'
  | 'updateParticipant'
  | 'dropParticipant'
  | 'getStreams'
  | 'getStream'
  | 'updateStream'
  | 'deleteStream'
  | 'addStreamingIn'
  | 'getStreamingOuts'
  | 'addStreamingOut'
  | 'updateStreamingOut'
  | 'deleteStreamingOut'
  | 'getRecordings'
  | 'addRecording'
  | 'updateRecording'
  | 'deleteRecording'
  | 'getSipCalls'
  | 'updateSipCall'
  | 'deleteSipCall'
  | 'updateRoomConfig'
  | 'destroy';

/** Marker for "the room has no live conference". */
export const NOT_LIVE: unique symbol = Symbol('not-live');
export type NotLive = typeof NOT_LIVE;

/**
 * Finds a room's conference node through the cluster manager and the conference agent, and
 * calls it. "Not live" is only concluded from answers that say so: the cluster manager
 * schedules nothing for the room, the agent runs no node for it, or the agent or node is gone.
 * A cluster manager that cannot be asked, or a timeout, is a 503.
 */
export class ConferenceClient {
  constructor(
    private readonly bus: RpcBus,
    private readonly timeoutMs: number,
  ) {}

  async locate(roomId: string): Promise<string | null> {
    let agentId: unknown;
    try {
      agentId = await this.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['conference', roomId], {
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      throw new ServiceUnavailableError('cannot ask the cluster manager whether the room is live', {
        cause: err,
      });
    }
    if (typeof agentId !== 'string') return null;
    let nodeId: unknown;
    try {
      nodeId = await this.bus.call(agentId, 'queryNode', [roomId], { timeoutMs: this.timeoutMs });
    } catch (err) {
      // The agent is gone, so are its nodes: the room is not live.
      if (err instanceof RpcTargetUnavailableError) return null;
      throw new ServiceUnavailableError(`conference agent ${agentId} did not answer`, { cause: err });
    }
    return typeof nodeId === 'string' ? nodeId : null;
  }

  /**
   * Schedules the room's conference node if the room is not live (as a portal does for a
   * join): for requests that start a room, like OWT's streaming-in.
   */
  async start(roomId: string): Promise<string> {
    try {
      const agent = await this.bus.call<ScheduleResult>(
        CLUSTER_MANAGER_ID,
        'schedule',
        ['conference', roomId, {}],
        {
          timeoutMs: this.timeoutMs,
        },
      );
      const request: NodeRequest = { task: roomId, room: roomId };
      const nodeId = await this.bus.call<unknown>(agent.id, 'getNode', [request], {
        timeoutMs: this.timeoutMs,
      });
      if (typeof nodeId !== 'string' || nodeId === '') throw new Error(`agent ${agent.id} returned no node`);
      return nodeId;
    } catch (err) {
      throw new ServiceUnavailableError(`cannot start a conference node for room ${roomId}`, { cause: err });
    }
  }

  /** Calls the room's conference node, starting one if the room is not live. */
  async callStarting<T>(roomId: string, method: ConferenceMethod, args: unknown[]): Promise<T> {
    const nodeId = (await this.locate(roomId)) ?? (await this.start(roomId));
    const answer = await this.callNode<T>(nodeId, roomId, method, args);
    if (answer === NOT_LIVE) throw new ServiceUnavailableError(`conference node of room ${roomId} is gone`);
    return answer;
  }

  /** Calls the room's conference node, or returns NOT_LIVE. */
  async call<T>(roomId: string, method: ConferenceMethod, args: unknown[]): Promise<T | NotLive> {
    const nodeId = await this.locate(roomId);
    if (nodeId === null) return NOT_LIVE;
    return this.callNode<T>(nodeId, roomId, method, args);
  }

  private async callNode<T>(
    nodeId: string,
    roomId: string,
    method: ConferenceMethod,
    args: unknown[],
  ): Promise<T | NotLive> {
    try {
      // Deleting an output waits for FFmpeg to finish the file or stream.
      const finishes =
        method === 'deleteRecording' || method === 'deleteStreamingOut' || method === 'destroy';
      const timeoutMs = finishes ? Math.max(this.timeoutMs, OUTPUT_FINISH_TIMEOUT_MS + 5000) : this.timeoutMs;
      return await this.bus.call<T>(nodeId, method, [roomId, ...args], { timeoutMs });
    } catch (err) {
      if (err instanceof RpcTargetUnavailableError) {
        log.debug({ roomId, nodeId, method }, 'conference node gone; room not live');
        return NOT_LIVE;
      }
      if (err instanceof RpcMethodNotFoundError) {
        throw new NotImplementedError(`the conference node does not implement ${method} yet`, { cause: err });
      }
      if (err instanceof Error && /Rpc(Timeout|ConnectionLost|BusClosed)Error/.test(err.name)) {
        throw new ServiceUnavailableError(`conference node of room ${roomId} did not answer`, { cause: err });
      }
      throw err;
    }
  }
}
