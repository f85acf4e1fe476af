/**
 * A conference node on a LocalBus with the real cluster manager, fake webrtc agents/nodes
 * (record every call, report progress on demand), a fake conference agent, a fake portal and
 * a room-config service from a map.
 */
import { once } from 'node:events';
import { ClusterMembership } from '../../agents/cluster-membership.js';
import type { NodeRequest } from '../../agents/protocol.js';
import { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { clusterManagerSchema } from '../../cluster-manager/config.js';
import { CLUSTER_MANAGER_ID, type Purpose, type ScheduleResult } from '../../cluster-manager/protocol.js';
import { NotFoundError } from '../../common/errors.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { RpcServer } from '../../common/rpc/rpc-bus.js';
import { ConferenceNode } from '../../conference/conference-node.js';
import type {
  JoinResult,
  ParticipantJoin,
  SessionProgress,
  TransportProgress,
} from '../../conference/protocol.js';
import type { RoomConfigInput } from '../../management-api/room-config-schema.js';
import { waitUntil } from '../support/wait-until.js';

export interface Call {
  method: string;
  args: unknown[];
}

const WEBRTC_METHODS = [
  'createTransport',
  'destroyTransport',
  'publish',
  'unpublish',
  'subscribe',
  'unsubscribe',
  'onTransportSignaling',
  'mute',
  'setLayer',
  'publishInternal',
  'unpublishInternal',
  'subscribeInternal',
  'unsubscribeInternal',
  'linkup',
  'cutoff',
] as const;

/** A webrtc node: records calls; `fail` makes the next call of a method throw. */
export class FakeWebrtcNode {
  readonly calls: Call[] = [];
  readonly failures = new Map<string, Error>();
  /** A method whose calls wait for this promise first (a slow node). */
  readonly stalls = new Map<string, Promise<void>>();
  server: RpcServer | undefined;

  constructor(
    readonly id: string,
    readonly linkPort: number,
  ) {}

  async serve(bus: LocalBus): Promise<void> {
    const handlers: Record<string, (...args: unknown[]) => unknown> = {};
    for (const method of WEBRTC_METHODS) {
      handlers[method] = async (...args: unknown[]) => {
        this.calls.push({ method, args });
        await this.stalls.get(method);
        const failure = this.failures.get(method);
        if (failure) {
          this.failures.delete(method);
          throw failure;
        }
        return { ok: true };
      };
    }
    handlers.getLinkAddress = () => ({ nodeId: this.id, host: '127.0.0.1', port: this.linkPort });
    this.server = await bus.serve(this.id, handlers);
  }

  called(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

/** An agent (webrtc or conference) that registers with the cluster manager and hands out nodes. */
export class FakeAgent {
  readonly calls: Call[] = [];
  readonly tasks = new Set<string>();
  private server: RpcServer | undefined;
  readonly membership: ClusterMembership;

  constructor(
    private readonly bus: LocalBus,
    readonly id: string,
    purpose: Purpose,
    isps: string[],
    /** The node it hands out (a test may change it: a replacement node after a crash). */
    public nodeId: string,
    /** Video agents: the codecs its nodes encode and decode. */
    video?: { encode: string[]; decode: string[] },
  ) {
    this.membership = new ClusterMembership({
      bus,
      worker: {
        id,
        purpose,
        capacity: { isps, regions: [], ...(video ? { video } : {}) },
        maxLoad: 0.9,
        state: 'in-service',
        info: {},
      },
      load: async () => 0,
      tasks: () => [...this.tasks],
      intervalMs: 200,
    });
  }

  async start(): Promise<void> {
    this.server = await this.bus.serve(this.id, {
      getNode: (request: NodeRequest) => {
        this.calls.push({ method: 'getNode', args: [request] });
        this.tasks.add(request.task);
        this.bus.cast(CLUSTER_MANAGER_ID, 'pickUp', [this.id, request.task]);
        return this.nodeId;
      },
      queryNode: (task: string) => (this.tasks.has(task) ? this.nodeId : null),
      recycleNode: (nodeId: string, task: string) => {
        this.calls.push({ method: 'recycleNode', args: [nodeId, task] });
        this.tasks.delete(task);
        this.bus.cast(CLUSTER_MANAGER_ID, 'layDown', [this.id, task]);
      },
      listNodes: () => [],
    });
    const joined = once(this.membership, 'joined', { signal: AbortSignal.timeout(3000) });
    await this.membership.start();
    if (!this.membership.isJoined) await joined;
  }

  async stop(): Promise<void> {
    await this.membership.stop();
    await this.server?.close();
  }

  called(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }
}

export interface PortalEventRecord {
  participantId: string;
  event: string;
  data: unknown;
}

export class FakePortal {
  readonly events: PortalEventRecord[] = [];
  readonly drops: string[] = [];

  constructor(readonly id: string) {}

  async serve(bus: LocalBus): Promise<void> {
    await bus.serve(this.id, {
      notify: (participantId: string, event: string, data: unknown) => {
        this.events.push({ participantId, event, data });
      },
      drop: (participantId: string) => {
        this.drops.push(participantId);
      },
    });
  }

  of(participantId: string, event?: string): unknown[] {
    return this.events
      .filter((e) => e.participantId === participantId && (event === undefined || e.event === event))
      .map((e) => e.data);
  }

  async waitFor(
    participantId: string,
    event: string,
    match: (data: Record<string, unknown>) => boolean,
    what: string,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitUntil(
      () => {
        found = this.of(participantId, event).find(
          (d): d is Record<string, unknown> =>
            typeof d === 'object' && d !== null && match(d as Record<string, unknown>),
        );
        return found !== undefined;
      },
      3000,
      what,
    );
    return found as Record<string, unknown>;
  }
}

export const CONFERENCE_NODE_ID = 'conference-agent-1.node-1';
export const CONFERENCE_AGENT_ID = 'conference-agent-1';

export class ConferenceHarness {
  readonly bus = new LocalBus({ defaultTimeoutMs: 3000 });
  readonly manager = new ClusterManager(
    this.bus,
    clusterManagerSchema.parse({ keepAliveIntervalMs: 200, recoveryTimeMs: 0 }),
    { retryDelayMs: 20 },
  );
  readonly portal = new FakePortal('portal-1');
  readonly rooms = new Map<string, RoomConfigInput & { _id?: string }>();
  readonly webrtcNodes: FakeWebrtcNode[] = [];
  readonly webrtcAgents: FakeAgent[] = [];
  conferenceAgent!: FakeAgent;
  node!: ConferenceNode;
  private readonly servers: RpcServer[] = [];

  /** Cleanups of webrtc nodes served by `serveNode` (real nodes in integration tests). */
  private readonly nodeCleanups: (() => Promise<void>)[] = [];

  /**
   * Webrtc agent `webrtc-<isp>` with one node `webrtc-<isp>.node-1`, serving isp `<isp>`: a
   * FakeWebrtcNode, or what `serveNode` serves under that id (it returns its cleanup).
   */
  async start(
    webrtcIsps: string[] = ['a', 'b'],
    serveNode?: (bus: LocalBus, nodeId: string) => Promise<() => Promise<void>>,
  ): Promise<void> {
    const active = once(this.manager, 'active', { signal: AbortSignal.timeout(3000) });
    await this.manager.start();
    await active;
    await this.portal.serve(this.bus);
    this.servers.push(
      await this.bus.serve('room-config', {
        getRoom: (roomId: string) => {
          const doc = this.rooms.get(roomId);
          if (!doc) throw new NotFoundError(`room ${roomId} not found`);
          return { ...doc, _id: roomId };
        },
      }),
    );
    let port = 40000;
    for (const isp of webrtcIsps) {
      const nodeId = `webrtc-${isp}.node-1`;
      if (serveNode) {
        this.nodeCleanups.push(await serveNode(this.bus, nodeId));
      } else {
        const node = new FakeWebrtcNode(nodeId, port++);
        await node.serve(this.bus);
        this.webrtcNodes.push(node);
      }
      const agent = new FakeAgent(this.bus, `webrtc-${isp}`, 'webrtc', [isp], nodeId);
      await agent.start();
      this.webrtcAgents.push(agent);
    }
    this.conferenceAgent = new FakeAgent(this.bus, CONFERENCE_AGENT_ID, 'conference', [], CONFERENCE_NODE_ID);
    await this.conferenceAgent.start();
    this.node = new ConferenceNode({
      bus: this.bus,
      nodeId: CONFERENCE_NODE_ID,
      agentId: CONFERENCE_AGENT_ID,
      timeoutMs: 2000,
      setupTimeoutMs: 1000,
    });
    await this.node.start();
    this.servers.push(await this.bus.serve(CONFERENCE_NODE_ID, this.node.handlers()));
  }

  async stop(): Promise<void> {
    await this.node?.close();
    for (const cleanup of this.nodeCleanups.splice(0)) await cleanup().catch(() => undefined);
    for (const agent of [...this.webrtcAgents, this.conferenceAgent])
      await agent?.stop().catch(() => undefined);
    await this.manager.stop();
    await this.bus.close();
  }

  webrtc(isp: string): FakeWebrtcNode {
    const node = this.webrtcNodes.find((n) => n.id === `webrtc-${isp}.node-1`);
    if (!node) throw new Error(`no webrtc node for isp ${isp}`);
    return node;
  }

  webrtcAgent(isp: string): FakeAgent {
    const agent = this.webrtcAgents.find((a) => a.id === `webrtc-${isp}`);
    if (!agent) throw new Error(`no webrtc agent for isp ${isp}`);
    return agent;
  }

  /** As a portal does: schedule the room's conference agent, get the node. */
  async scheduleRoom(roomId: string): Promise<string> {
    const scheduled = await this.bus.call<ScheduleResult>(CLUSTER_MANAGER_ID, 'schedule', [
      'conference',
      roomId,
      {},
    ]);
    return this.bus.call<string>(scheduled.id, 'getNode', [{ task: roomId, room: roomId }]);
  }

  conf<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.bus.call<T>(CONFERENCE_NODE_ID, method, args, { timeoutMs: 3000 });
  }

  async join(roomId: string, id: string, role = 'presenter', isp = 'a'): Promise<JoinResult> {
    const participant: ParticipantJoin = {
      id,
      user: `user-${id}`,
      role,
      portal: this.portal.id,
      preference: { isp },
    };
    return this.conf<JoinResult>('join', roomId, participant);
  }

  /** The webrtc node reporting to the conference, as agents/webrtc does (cast). */
  transportProgress(roomId: string, transportId: string, progress: TransportProgress): void {
    this.bus.cast(CONFERENCE_NODE_ID, 'onTransportProgress', [roomId, transportId, progress]);
  }

  sessionProgress(roomId: string, sessionId: string, progress: SessionProgress): void {
    this.bus.cast(CONFERENCE_NODE_ID, 'onSessionProgress', [roomId, sessionId, progress]);
  }

  /** publish → transport + session ready, waits for the stream to be announced to its owner. */
  async publishLive(
    roomId: string,
    participantId: string,
    sessionId: string,
    media: unknown = defaultMedia(),
    tracks = defaultTracks(),
  ): Promise<Record<string, unknown>> {
    const answer = await this.conf<{ id: string; transportId: string }>(
      'publish',
      roomId,
      participantId,
      sessionId,
      {
        media: { tracks },
        attributes: { label: participantId },
        transport: { type: 'webrtc' },
      },
    );
    this.transportProgress(roomId, answer.transportId, { type: 'ready' });
    this.sessionProgress(roomId, sessionId, { type: 'ready', media });
    return this.portal.waitFor(
      participantId,
      'stream',
      (d) => d.id === sessionId && d.status === 'add',
      `stream add of ${sessionId}`,
    );
  }

  async subscribeReady(
    roomId: string,
    participantId: string,
    sessionId: string,
    from: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ id: string; transportId: string }> {
    const answer = await this.conf<{ id: string; transportId: string }>(
      'subscribe',
      roomId,
      participantId,
      sessionId,
      {
        media: {
          tracks: [
            { type: 'audio', mid: '0', from },
            { type: 'video', mid: '1', from, ...extra },
          ],
        },
        transport: { type: 'webrtc' },
      },
    );
    this.transportProgress(roomId, answer.transportId, { type: 'ready' });
    this.sessionProgress(roomId, sessionId, { type: 'ready' });
    await this.portal.waitFor(
      participantId,
      'progress',
      (d) => d.sessionId === sessionId && d.status === 'ready',
      `subscription ${sessionId} ready`,
    );
    return answer;
  }
}

export function defaultTracks() {
  return [
    { type: 'audio', mid: '0', source: 'mic' },
    { type: 'video', mid: '1', source: 'camera' },
  ];
}

export function defaultMedia() {
  return {
    tracks: [
      { type: 'audio', mid: '0', format: { codec: 'opus', sampleRate: 48000, channelNum: 2 } },
      { type: 'video', mid: '1', format: { codec: 'vp8' }, resolutions: { '': { width: 640, height: 480 } } },
    ],
  };
}
