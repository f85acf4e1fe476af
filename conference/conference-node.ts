import { NODE_LOST_TOPIC } from '../agents/protocol.js';
import { CLUSTER_MANAGER_ID, WORKER_LOST_TOPIC } from '../cluster-manager/protocol.js';
import { ValidationError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import type { MonitorSubscription, RpcBus, RpcHandlers } from '../common/rpc/rpc-bus.js';
import { RoomNotLiveError } from './errors.js';
import type { SessionProgress, TransportProgress } from './protocol.js';
import { fetchRoomConfig } from './room-config.js';
import { RoomController } from './room-controller.js';

const log = createLogger('conference.node');

export interface ConferenceNodeOptions {
  bus: RpcBus;
  /** This node's RPC id. */
  nodeId: string;
  /** The conference agent that runs this node (recycleNode, unschedule). */
  agentId: string;
  /** Timeout of calls to other parts. */
  timeoutMs?: number;
  /** Passed to each room (RoomControllerOptions.setupTimeoutMs). */
  setupTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Purposes whose lost workers/nodes may hold a room's media. */
const MEDIA_PURPOSES = new Set(['webrtc', 'streaming', 'recording', 'video', 'audio']);

function id(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ValidationError(`${name} must be a non-empty string`);
  return value;
}

function field(event: unknown, name: string): unknown {
  return typeof event === 'object' && event !== null ? (event as Record<string, unknown>)[name] : undefined;
}

/**
 * The rooms of one conference node (task = room id; several per node). A room's controller
 * is created by the first join, loading the room configuration through 'room-config', and
 * released when it empties (recycleNode + unschedule). Webrtc workers and nodes, and portals,
 * reported lost are passed to every room.
 */
export class ConferenceNode {
  private readonly rooms = new Map<string, Promise<RoomController>>();
  private readonly monitors: MonitorSubscription[] = [];
  private readonly timeoutMs: number;

  constructor(private readonly options: ConferenceNodeOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async start(): Promise<void> {
    const { bus } = this.options;
    this.monitors.push(
      await bus.subscribe(WORKER_LOST_TOPIC, (event) => {
        const workerId = field(event, 'workerId');
        if (typeof workerId !== 'string') return;
        const purpose = field(event, 'purpose');
        if (typeof purpose === 'string' && MEDIA_PURPOSES.has(purpose))
          this.forEachRoom((room) => room.onMediaNodeLost({ agentId: workerId }));
        // A portal gone for good takes its participants with it (their sockets are gone).
        if (purpose === 'portal') this.forEachRoom((room) => room.onPortalLost(workerId));
      }),
      await bus.subscribe(NODE_LOST_TOPIC, (event) => {
        const nodeId = field(event, 'nodeId');
        const purpose = field(event, 'purpose');
        if (typeof purpose === 'string' && MEDIA_PURPOSES.has(purpose) && typeof nodeId === 'string')
          this.forEachRoom((room) => room.onMediaNodeLost({ nodeId }));
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.monitors.splice(0).map((m) => m.close().catch(() => undefined)));
  }

  /** Room ids with a controller on this node. */
  roomIds(): string[] {
    return [...this.rooms.keys()];
  }

  handlers(): RpcHandlers {
    const room = (roomId: unknown) => this.room(id(roomId, 'roomId'));
    return {
      join: (roomId: unknown, participant: unknown) => this.join(id(roomId, 'roomId'), participant),
      leave: async (roomId: unknown, pid: unknown) => (await room(roomId)).leave(id(pid, 'participantId')),
      text: async (roomId: unknown, pid: unknown, to: unknown, message: unknown) =>
        (await room(roomId)).text(id(pid, 'participantId'), to, message),
      publish: async (roomId: unknown, pid: unknown, sessionId: unknown, options: unknown) =>
        (await room(roomId)).publish(id(pid, 'participantId'), id(sessionId, 'sessionId'), options),
      unpublish: async (roomId: unknown, pid: unknown, sessionId: unknown) =>
        (await room(roomId)).unpublish(id(pid, 'participantId'), id(sessionId, 'sessionId')),
      subscribe: async (roomId: unknown, pid: unknown, sessionId: unknown, options: unknown) =>
        (await room(roomId)).subscribe(id(pid, 'participantId'), id(sessionId, 'sessionId'), options),
      unsubscribe: async (roomId: unknown, pid: unknown, sessionId: unknown) =>
        (await room(roomId)).unsubscribe(id(pid, 'participantId'), id(sessionId, 'sessionId')),
      streamControl: async (roomId: unknown, pid: unknown, streamId: unknown, command: unknown) =>
        (await room(roomId)).streamControl(id(pid, 'participantId'), id(streamId, 'streamId'), command),
      subscriptionControl: async (roomId: unknown, pid: unknown, subId: unknown, command: unknown) =>
        (await room(roomId)).subscriptionControl(
          id(pid, 'participantId'),
          id(subId, 'subscriptionId'),
          command,
        ),
      onTransportSignaling: async (roomId: unknown, pid: unknown, transportId: unknown, signaling: unknown) =>
        (await room(roomId)).onTransportSignaling(
          id(pid, 'participantId'),
          id(transportId, 'transportId'),
          signaling,
        ),

      onTransportProgress: async (roomId: unknown, transportId: unknown, progress: unknown) => {
        const controller = await this.existingRoom(roomId);
        controller?.onTransportProgress(id(transportId, 'transportId'), progress as TransportProgress);
      },
      onSessionProgress: async (roomId: unknown, sessionId: unknown, progress: unknown) => {
        const controller = await this.existingRoom(roomId);
        controller?.onSessionProgress(id(sessionId, 'sessionId'), progress as SessionProgress);
      },
      /** Audio nodes: a view's active speaker changed (agents/audio/protocol.ts). */
      onActiveAudio: async (roomId: unknown, mixerId: unknown, streamId: unknown) => {
        const controller = await this.existingRoom(roomId);
        controller?.onActiveAudio(id(mixerId, 'mixerId'), id(streamId, 'streamId'));
      },

      getParticipants: async (roomId: unknown) => (await room(roomId)).getParticipants(),
      getParticipant: async (roomId: unknown, pid: unknown) =>
        (await room(roomId)).getParticipant(id(pid, 'participantId')),
      updateParticipant: async (roomId: unknown, pid: unknown, patches: unknown) =>
        (await room(roomId)).updateParticipant(id(pid, 'participantId'), patches),
      dropParticipant: async (roomId: unknown, pid: unknown) =>
        (await room(roomId)).dropParticipant(id(pid, 'participantId')),
      getStreams: async (roomId: unknown) => (await room(roomId)).getStreams(),
      getStream: async (roomId: unknown, streamId: unknown) =>
        (await room(roomId)).getStream(id(streamId, 'streamId')),
      updateStream: async (roomId: unknown, streamId: unknown, patches: unknown) =>
        (await room(roomId)).updateStream(id(streamId, 'streamId'), patches),
      deleteStream: async (roomId: unknown, streamId: unknown) =>
        (await room(roomId)).deleteStream(id(streamId, 'streamId')),
      // A streaming-in may start the room (OWT does): the controller is created as for a join.
      addStreamingIn: async (roomId: unknown, body: unknown) => {
        const controller = await this.roomForJoin(id(roomId, 'roomId'));
        try {
          return await controller.addStreamingIn(body);
        } catch (err) {
          controller.releaseIfEmpty();
          throw err;
        }
      },
      getStreamingOuts: async (roomId: unknown) => (await room(roomId)).getOutputs('streaming-out'),
      addStreamingOut: async (roomId: unknown, body: unknown) =>
        (await room(roomId)).addOutput('streaming-out', body),
      updateStreamingOut: async (roomId: unknown, outId: unknown, patches: unknown) =>
        (await room(roomId)).updateOutput('streaming-out', id(outId, 'id'), patches),
      deleteStreamingOut: async (roomId: unknown, outId: unknown) =>
        (await room(roomId)).deleteOutput('streaming-out', id(outId, 'id')),
      getRecordings: async (roomId: unknown) => (await room(roomId)).getOutputs('recording'),
      addRecording: async (roomId: unknown, body: unknown) =>
        (await room(roomId)).addOutput('recording', body),
      updateRecording: async (roomId: unknown, outId: unknown, patches: unknown) =>
        (await room(roomId)).updateOutput('recording', id(outId, 'id'), patches),
      deleteRecording: async (roomId: unknown, outId: unknown) =>
        (await room(roomId)).deleteOutput('recording', id(outId, 'id')),
      // SIP needs a SIP agent, which does not exist: no calls are live.
      getSipCalls: (roomId: unknown) => this.noOutputs(roomId),
      updateSipCall: (roomId: unknown, outId: unknown) => this.noOutput(roomId, outId, 'sip call'),
      deleteSipCall: (roomId: unknown, outId: unknown) => this.noOutput(roomId, outId, 'sip call'),
      updateRoomConfig: async (roomId: unknown, config: unknown) =>
        (await room(roomId)).updateRoomConfig(config),
      destroy: async (roomId: unknown) => (await room(roomId)).destroy(),
    };
  }

  private async noOutputs(roomId: unknown): Promise<unknown[]> {
    await this.room(id(roomId, 'roomId'));
    return [];
  }

  private async noOutput(roomId: unknown, outId: unknown, what: string): Promise<never> {
    await this.room(id(roomId, 'roomId'));
    throw new RoomNotLiveError(`${what} ${String(outId)} not found`);
  }

  private forEachRoom(fn: (room: RoomController) => Promise<void>): void {
    for (const [roomId, pending] of this.rooms) {
      pending
        .then((room) => fn(room))
        .catch((err: unknown) => log.error({ err, roomId }, 'room failed to handle a lost worker'));
    }
  }

  private async room(roomId: string): Promise<RoomController> {
    const pending = this.rooms.get(roomId);
    if (!pending) throw new RoomNotLiveError(`room ${roomId} is not live on this conference node`);
    const controller = await pending;
    if (controller.isReleased)
      throw new RoomNotLiveError(`room ${roomId} is not live on this conference node`);
    return controller;
  }

  private async existingRoom(roomId: unknown): Promise<RoomController | undefined> {
    if (typeof roomId !== 'string') return undefined;
    try {
      return await this.room(roomId);
    } catch {
      log.debug({ roomId }, 'callback for a room that is not here ignored');
      return undefined;
    }
  }

  /** The room's controller, created (config loaded) by the first join. */
  private async roomForJoin(roomId: string): Promise<RoomController> {
    // A controller that released itself meanwhile is replaced; two rounds cover every race.
    for (let round = 0; round < 2; round++) {
      const existing = this.rooms.get(roomId);
      if (!existing) break;
      const controller = await existing;
      if (!controller.isReleased) return controller;
      if (this.rooms.get(roomId) === existing) this.rooms.delete(roomId);
    }
    const current = this.rooms.get(roomId);
    if (current) return current;
    const pending = fetchRoomConfig(this.options.bus, roomId, this.timeoutMs).then((config) => {
      const controller: RoomController = new RoomController({
        bus: this.options.bus,
        roomId,
        selfId: this.options.nodeId,
        config,
        timeoutMs: this.timeoutMs,
        ...(this.options.setupTimeoutMs !== undefined ? { setupTimeoutMs: this.options.setupTimeoutMs } : {}),
        onEmpty: () => void this.release(roomId, controller),
      });
      log.info({ roomId }, 'room controller started');
      return controller;
    });
    this.rooms.set(roomId, pending);
    pending.catch((err: unknown) => {
      if (this.rooms.get(roomId) === pending) this.rooms.delete(roomId);
      log.warn({ roomId, err }, 'room configuration could not be loaded');
      void this.unschedule(roomId);
    });
    return pending;
  }

  private async join(roomId: string, participant: unknown): Promise<unknown> {
    const controller = await this.roomForJoin(roomId);
    try {
      return controller.join(participant);
    } catch (err) {
      // A refused first join (room full, bad role) must not leave an empty room behind.
      controller.releaseIfEmpty();
      throw err;
    }
  }

  private async release(roomId: string, controller: RoomController): Promise<void> {
    const pending = this.rooms.get(roomId);
    if (pending && (await pending) === controller && this.rooms.get(roomId) === pending)
      this.rooms.delete(roomId);
    const { bus, agentId, nodeId } = this.options;
    await bus
      .call(agentId, 'recycleNode', [nodeId, roomId], { timeoutMs: this.timeoutMs })
      .catch((err: unknown) => log.debug({ roomId, err }, 'recycleNode failed'));
    await this.unschedule(roomId);
    // A join that raced the release started a new controller here: keep the task claimed.
    if (this.rooms.has(roomId)) bus.cast(CLUSTER_MANAGER_ID, 'pickUp', [agentId, roomId]);
  }

  private async unschedule(roomId: string): Promise<void> {
    const { bus, agentId } = this.options;
    await bus
      .call(CLUSTER_MANAGER_ID, 'unschedule', [agentId, roomId], { timeoutMs: this.timeoutMs })
      .catch((err: unknown) => log.debug({ roomId, err }, 'unschedule failed'));
  }
}
