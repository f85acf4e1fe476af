import type { NodeRequest } from '../agents/protocol.js';
import {
  MEDIA_PRIMITIVE_METHODS,
  type PublishTrack,
  type SubscribeTrack,
} from '../agents/webrtc/protocol.js';
import {
  CLUSTER_MANAGER_ID,
  type SchedulePreference,
  type ScheduleResult,
} from '../cluster-manager/protocol.js';
import { createLogger } from '../common/logger.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';

const log = createLogger('conference.media-client');

/** Where a transport lives: the webrtc agent (worker) and its node. */
export interface Locality {
  agentId: string;
  nodeId: string;
}

/** Purposes whose nodes a room places tasks on (besides webrtc transports). */
export type TaskPurpose = 'streaming' | 'recording' | 'video' | 'audio';

export interface LinkAddress {
  nodeId: string;
  host: string;
  port: number;
}

/**
 * The RPC calls a room controller makes towards the cluster manager, webrtc agents and webrtc
 * nodes (agents/webrtc/protocol.ts, media primitives). One place for method names and timeouts.
 */
export class MediaClient {
  constructor(
    private readonly bus: RpcBus,
    private readonly roomId: string,
    /** This conference node's RPC id: webrtc nodes report progress to it. */
    private readonly controllerId: string,
    private readonly timeoutMs: number,
  ) {}

  private call<T>(target: string, method: string, args: unknown[]): Promise<T> {
    return this.bus.call<T>(target, method, args, { timeoutMs: this.timeoutMs });
  }

  /** Schedules a webrtc worker for the transport (task = transport id) and gets its node. */
  async placeTransport(
    transportId: string,
    preference: { isp?: string; region?: string },
  ): Promise<Locality> {
    const scheduled = await this.call<ScheduleResult>(CLUSTER_MANAGER_ID, 'schedule', [
      'webrtc',
      transportId,
      preference,
    ]);
    const request: NodeRequest = { task: transportId, room: this.roomId };
    const nodeId = await this.call<string>(scheduled.id, 'getNode', [request]);
    return { agentId: scheduled.id, nodeId };
  }

  createTransport(loc: Locality, transportId: string, owner: string): Promise<unknown> {
    return this.call(loc.nodeId, 'createTransport', [
      transportId,
      { room: this.roomId, owner, controller: this.controllerId },
    ]);
  }

  /** Best effort: the transport's node, agent and schedule entry are freed. */
  async releaseTransport(loc: Locality, transportId: string, nodeAlive: boolean): Promise<void> {
    const quietly = (p: Promise<unknown>, what: string) =>
      p.catch((err: unknown) => log.debug({ err, transportId, what }, 'transport release step failed'));
    await Promise.all([
      nodeAlive
        ? quietly(this.call(loc.nodeId, 'destroyTransport', [transportId]), 'destroyTransport')
        : undefined,
      nodeAlive
        ? quietly(this.call(loc.agentId, 'recycleNode', [loc.nodeId, transportId]), 'recycleNode')
        : undefined,
      quietly(this.call(CLUSTER_MANAGER_ID, 'unschedule', [loc.agentId, transportId]), 'unschedule'),
    ]);
  }

  signal(loc: Locality, transportId: string, signaling: unknown): Promise<unknown> {
    return this.call(loc.nodeId, 'onTransportSignaling', [transportId, signaling]);
  }

  publish(loc: Locality, transportId: string, sessionId: string, tracks: PublishTrack[]): Promise<unknown> {
    return this.call(loc.nodeId, 'publish', [transportId, sessionId, tracks]);
  }

  unpublish(loc: Locality, transportId: string, sessionId: string): Promise<unknown> {
    return this.call(loc.nodeId, 'unpublish', [transportId, sessionId]);
  }

  subscribe(
    loc: Locality,
    transportId: string,
    sessionId: string,
    tracks: SubscribeTrack[],
  ): Promise<unknown> {
    return this.call(loc.nodeId, 'subscribe', [transportId, sessionId, tracks]);
  }

  unsubscribe(loc: Locality, transportId: string, sessionId: string): Promise<unknown> {
    return this.call(loc.nodeId, 'unsubscribe', [transportId, sessionId]);
  }

  mute(nodeId: string, sessionId: string, kind: 'audio' | 'video' | 'av', muted: boolean): Promise<unknown> {
    return this.call(nodeId, 'mute', [sessionId, kind, muted]);
  }

  setLayer(
    nodeId: string,
    sessionId: string,
    spec: { rid?: string; resolution?: { width: number; height: number }; bitrate?: number | string },
  ): Promise<unknown> {
    return this.call(nodeId, 'setLayer', [sessionId, spec]);
  }

  async getLinkAddress(nodeId: string): Promise<LinkAddress> {
    const address = await this.call<LinkAddress | null>(nodeId, MEDIA_PRIMITIVE_METHODS.getLinkAddress, []);
    if (!address) throw new Error(`node ${nodeId} accepts no internal links`);
    return address;
  }

  /** Destination side of an internal link: the stream arrives from `fromNode`. */
  acceptLinkedStream(destNode: string, streamId: string, fromNode: string): Promise<unknown> {
    return this.call(destNode, MEDIA_PRIMITIVE_METHODS.publish, [streamId, { type: 'internal', fromNode }]);
  }

  dropLinkedStream(destNode: string, streamId: string): Promise<unknown> {
    return this.call(destNode, MEDIA_PRIMITIVE_METHODS.unpublish, [streamId]);
  }

  /** Source side: a link subscription towards `toNode`, linked up to the stream. */
  async sendStream(
    srcNode: string,
    linkSubId: string,
    streamId: string,
    to: LinkAddress,
    kinds?: readonly ('audio' | 'video')[],
  ): Promise<void> {
    await this.call(srcNode, MEDIA_PRIMITIVE_METHODS.subscribe, [
      linkSubId,
      {
        type: 'internal',
        toNode: to.nodeId,
        address: { host: to.host, port: to.port },
        ...(kinds ? { kinds: [...kinds] } : {}),
      },
    ]);
    await this.call(srcNode, MEDIA_PRIMITIVE_METHODS.linkup, [linkSubId, streamId]);
  }

  stopSending(srcNode: string, linkSubId: string): Promise<unknown> {
    return this.call(srcNode, MEDIA_PRIMITIVE_METHODS.unsubscribe, [linkSubId]);
  }

  // ---- streaming / recording nodes (docs/streaming.md, docs/recording.md) ----

  /** A method of a node's own RPC interface (mixers, transcoders: conference/mixer-client.ts). */
  callNode<T>(nodeId: string, method: string, args: unknown[]): Promise<T> {
    return this.call<T>(nodeId, method, args);
  }

  /**
   * Schedules a worker of `purpose` for the task (a streaming-in, -out or recording id, a
   * mixer or transcoder) and gets its node.
   */
  async placeTask(
    purpose: TaskPurpose,
    taskId: string,
    preference: SchedulePreference = {},
  ): Promise<Locality> {
    const scheduled = await this.call<ScheduleResult>(CLUSTER_MANAGER_ID, 'schedule', [
      purpose,
      taskId,
      preference,
    ]);
    const request: NodeRequest = { task: taskId, room: this.roomId };
    const nodeId = await this.call<string>(scheduled.id, 'getNode', [request]);
    return { agentId: scheduled.id, nodeId };
  }

  /** Best effort: the task's node and schedule entry are freed. */
  async releaseTask(loc: Locality, taskId: string, nodeAlive: boolean): Promise<void> {
    const quietly = (p: Promise<unknown>, what: string) =>
      p.catch((err: unknown) => log.debug({ err, taskId, what }, 'task release step failed'));
    await Promise.all([
      nodeAlive
        ? quietly(this.call(loc.agentId, 'recycleNode', [loc.nodeId, taskId]), 'recycleNode')
        : undefined,
      quietly(this.call(CLUSTER_MANAGER_ID, 'unschedule', [loc.agentId, taskId]), 'unschedule'),
    ]);
  }

  /** A source of the node's own type (e.g. `streaming-in`); the spec names this controller for progress. */
  publishSource(nodeId: string, streamId: string, spec: Record<string, unknown>): Promise<unknown> {
    return this.call(nodeId, MEDIA_PRIMITIVE_METHODS.publish, [
      streamId,
      { ...spec, controller: this.controllerId, room: this.roomId },
    ]);
  }

  /** A source built from the node's own streams (e.g. a `merge`); no progress reports. */
  publishLocal(nodeId: string, streamId: string, spec: Record<string, unknown>): Promise<unknown> {
    return this.call(nodeId, MEDIA_PRIMITIVE_METHODS.publish, [streamId, spec]);
  }

  unpublishSource(nodeId: string, streamId: string): Promise<unknown> {
    return this.call(nodeId, MEDIA_PRIMITIVE_METHODS.unpublish, [streamId]);
  }

  /** A sink of the node's own type (`streaming-out`, `recording`) reporting progress to this controller. */
  subscribeSink(nodeId: string, subscriptionId: string, spec: Record<string, unknown>): Promise<unknown> {
    return this.call(nodeId, MEDIA_PRIMITIVE_METHODS.subscribe, [
      subscriptionId,
      { ...spec, controller: this.controllerId, room: this.roomId },
    ]);
  }

  /** Resolves once the node finished the output (ffmpeg wrote its trailer). */
  unsubscribeSink(nodeId: string, subscriptionId: string, timeoutMs: number): Promise<unknown> {
    return this.bus.call(nodeId, MEDIA_PRIMITIVE_METHODS.unsubscribe, [subscriptionId], { timeoutMs });
  }

  linkup(nodeId: string, subscriptionId: string, streamId: string): Promise<unknown> {
    return this.call(nodeId, MEDIA_PRIMITIVE_METHODS.linkup, [subscriptionId, streamId]);
  }
}
