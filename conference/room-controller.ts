import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { layerStreamId, type PublishTrack, type SubscribeTrack } from '../agents/webrtc/protocol.js';
import {
  NotFoundError,
  NotImplementedError,
  PermissionDeniedError,
  ValidationError,
} from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { createStreamingInBody } from '../management-api/request-schemas.js';
import { validate } from '../management-api/validate.js';
import type { PortalEvent } from '../portal/protocol.js';
import { InputLimitError, MediaSetupError, RoomFullError } from './errors.js';
import { bitrateKbps, pickLayer, sourceCodec, toNodeParameters } from './layer-selection.js';
import { type Locality, MediaClient } from './media-client.js';
import type { MixedStreamInfo } from './mixed-stream-info.js';
import { MixerClient } from './mixer-client.js';
import { applyPermissionPatches, type MediaKind, permissionOfRole, requirePermitted } from './permissions.js';
import type { JoinResult, ParticipantJoin, SessionProgress, TransportProgress } from './protocol.js';
import {
  participantJoinSchema,
  publishOptionsSchema,
  streamControlSchema,
  streamPatchesSchema,
  subscribeOptionsSchema,
  subscriptionControlSchema,
  type VideoParameters,
} from './request-schemas.js';
import { parseRoomConfig, type RoomConfig } from './room-config.js';
import { type OutputKind, RoomOutputs } from './room-outputs.js';
import type {
  MediaStatus,
  Participant,
  Publication,
  SubscribedTrack,
  Subscription,
  Transport,
} from './room-state.js';
import { RoomTranscoders, transcodeSpecFor } from './room-transcoders.js';
import { type AcquiredOutput, RoomViews } from './room-views.js';
import {
  buildTracks,
  type ForwardStreamInfo,
  type MediaReport,
  mediaReportSchema,
  type RequestedTrack,
  streamingMediaReport,
  unacceptableFormat,
} from './stream-info.js';
import { StreamLinks } from './stream-links.js';
import { Transports } from './transports.js';

export interface RoomControllerOptions {
  bus: RpcBus;
  roomId: string;
  /** This conference node's RPC id (webrtc nodes report to it). */
  selfId: string;
  config: RoomConfig;
  /** Timeout of calls to the cluster manager, agents and webrtc nodes. */
  timeoutMs: number;
  /** Called once when the last participant left or the room was destroyed. */
  onEmpty: () => void;
  /** A publish/subscribe not set up by then fails and is undone (default 4500, under the portal's 5 s). */
  setupTimeoutMs?: number;
}

const DEFAULT_SETUP_TIMEOUT_MS = 4500;

const NODE_LOST_REASON = 'media node lost';
const SOURCE_LOST_REASON = 'Source stream loss';

type Selector = 'audio' | 'video' | 'av';

/** Where a subscription update moves one of its tracks. */
interface TrackMove {
  track: SubscribedTrack;
  streamId: string;
  from: string;
  rid?: string;
  parameters?: VideoParameters;
}
type StreamInfo = ForwardStreamInfo | MixedStreamInfo;
type StreamPatch = z.output<typeof streamPatchesSchema>[number];

/** stream-control mix/unmix data: a view label or a list of them. */
function viewLabels(data: unknown): string[] {
  const labels = Array.isArray(data) ? data : [data];
  if (labels.length === 0 || !labels.every((l) => typeof l === 'string' && l !== ''))
    throw new ValidationError('data must be a view label or a list of view labels');
  return labels as string[];
}

function viewLabel(data: unknown): string {
  if (typeof data !== 'string' || data === '') throw new ValidationError('data must be a view label');
  return data;
}
const kindsOf = (selector: Selector): MediaKind[] => (selector === 'av' ? ['audio', 'video'] : [selector]);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * One room: participants and their permissions, forward streams and subscriptions, and the
 * webrtc media behind them (transports on webrtc nodes, internal links between nodes).
 * Every event for a client goes through its portal. Methods re-check state after each await:
 * a participant may leave, or a node die, while an operation is on its way.
 */
export class RoomController {
  readonly roomId: string;
  private config: RoomConfig;
  private readonly participants = new Map<string, Participant>();
  private readonly transports: Transports;
  private readonly publications = new Map<string, Publication>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly links: StreamLinks;
  private readonly media: MediaClient;
  private readonly log: Logger;
  private released = false;
  private readonly setupTimeoutMs: number;
  private readonly outputs: RoomOutputs;
  /** Streaming-in requests waiting for their stream to go live (or be removed). */
  private readonly liveWaiters = new Map<string, (live: boolean) => void>();
  private readonly views: RoomViews;
  private readonly transcoders: RoomTranscoders;
  /** Merge streams made by subscription updates get fresh ids (the old one goes after the switch). */
  private mergeSeq = 0;

  constructor(private readonly options: RoomControllerOptions) {
    this.roomId = options.roomId;
    this.config = options.config;
    this.setupTimeoutMs = options.setupTimeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS;
    this.media = new MediaClient(options.bus, options.roomId, options.selfId, options.timeoutMs);
    this.log = createLogger('conference.room', { roomId: options.roomId });
    this.transports = new Transports(this.media);
    this.links = new StreamLinks(this.media, (nodeId) => this.transports.nodeAlive(nodeId), this.log);
    this.outputs = new RoomOutputs({
      media: this.media,
      links: this.links,
      log: this.log,
      resolveSource: (from, kind) => this.resolveSource(from, kind),
      sourceOf: (publicationId) => {
        const pub = this.publications.get(publicationId);
        const nodeId = pub ? this.sourceLoc(pub)?.nodeId : undefined;
        return pub?.live && pub.info && nodeId ? { nodeId, info: pub.info } : undefined;
      },
      nodeAlive: (nodeId) => this.transports.nodeAlive(nodeId),
      markNodeLost: (nodeId) => this.transports.markNodeLost(nodeId),
      mixedInfo: (streamId) => this.views.stream(streamId),
      acquireMixed: (streamId, kind, codec, userId) =>
        this.views.acquireOutput(streamId, kind, codec !== undefined ? { codec } : {}, userId),
      releaseMixed: (userId) => this.views.releaseOutputs(userId),
    });
    const mixers = new MixerClient(this.media);
    this.views = new RoomViews({
      roomId: options.roomId,
      selfId: options.selfId,
      media: this.media,
      mixers,
      links: this.links,
      log: this.log,
      config: () => this.config,
      sourceOf: (publicationId) => {
        const pub = this.publications.get(publicationId);
        const nodeId = pub?.live ? this.sourceLoc(pub)?.nodeId : undefined;
        if (!pub?.info || !nodeId) return undefined;
        const kinds = [...new Set(pub.info.media.tracks.map((t) => t.type))];
        return { nodeId, owner: pub.owner, kinds };
      },
      nodeAlive: (nodeId) => this.transports.nodeAlive(nodeId),
      markNodeLost: (nodeId) => this.transports.markNodeLost(nodeId),
      announce: (streamId, field, value) => {
        if (this.config.notifying.streamChange)
          this.broadcast('stream', { id: streamId, status: 'update', data: { field, value } });
      },
    });
    this.transcoders = new RoomTranscoders({
      media: this.media,
      mixers,
      links: this.links,
      log: this.log,
      sourceNodeOf: (publicationId) => {
        const pub = this.publications.get(publicationId);
        return pub?.live ? this.sourceLoc(pub)?.nodeId : undefined;
      },
      nodeAlive: (nodeId) => this.transports.nodeAlive(nodeId),
      markNodeLost: (nodeId) => this.transports.markNodeLost(nodeId),
    });
  }

  get isReleased(): boolean {
    return this.released;
  }

  get participantCount(): number {
    return this.participants.size;
  }

  // ---- client-facing (portal) ---------------------------------------------------------------

  join(request: unknown): JoinResult {
    this.requireLive();
    const p: ParticipantJoin = validate(participantJoinSchema, request, 'participant');
    const existing = this.participants.get(p.id);
    if (existing) {
      // A portal retrying a join it did not see answered gets the same answer.
      if (existing.portal === p.portal) return this.joinResult(existing);
      throw new ValidationError(`participant ${p.id} has already joined`);
    }
    const limit = this.config.participantLimit;
    if (limit >= 0 && this.participants.size >= limit) throw new RoomFullError('Room is full');
    const permission = permissionOfRole(this.config, p.role);
    if (!permission) throw new PermissionDeniedError(`Invalid role: ${p.role}`);
    const participant: Participant = {
      id: p.id,
      user: p.user,
      role: p.role,
      portal: p.portal,
      preference: p.preference,
      ...(p.origin !== undefined ? { origin: p.origin } : {}),
      permission,
    };
    this.participants.set(p.id, participant);
    this.log.info({ participantId: p.id, role: p.role }, 'participant joined');
    if (this.config.notifying.participantActivities) {
      this.broadcast('participant', { action: 'join', data: { id: p.id, user: p.user, role: p.role } }, p.id);
    }
    return this.joinResult(participant);
  }

  /** Logout, socket gone for good, or drop: everything the participant had goes. */
  async leave(participantId: string): Promise<void> {
    const participant = this.participants.get(participantId);
    if (!participant) throw new NotFoundError(`participant ${participantId} not found`);
    // Gone first: nothing below notifies the leaving client.
    this.participants.delete(participantId);
    const work: Promise<void>[] = [];
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.owner === participantId) work.push(this.removeSubscription(sub));
    }
    for (const pub of [...this.publications.values()]) {
      if (pub.owner === participantId) work.push(this.removePublication(pub));
    }
    for (const transport of this.transports.all()) {
      if (transport.owner === participantId) work.push(this.transports.close(transport));
    }
    if (this.config.notifying.participantActivities) {
      this.broadcast('participant', { action: 'leave', data: participantId });
    }
    this.log.info({ participantId }, 'participant left');
    await Promise.all(work);
    this.releaseIfEmpty();
  }

  text(participantId: string, to: unknown, message: unknown): void {
    this.requireParticipant(participantId);
    if (typeof to !== 'string' || to === '')
      throw new ValidationError('text: `to` must be a participant id or all');
    if (typeof message !== 'string') throw new ValidationError('text: `message` must be a string');
    if (to === 'all') {
      this.broadcast('text', { from: participantId, to: 'all', message });
      return;
    }
    if (!this.participants.has(to)) throw new NotFoundError(`Target participant does NOT exist: ${to}`);
    this.notify(to, 'text', { from: participantId, to: 'me', message });
  }

  async publish(
    participantId: string,
    sessionId: string,
    options: unknown,
  ): Promise<{ id: string; transportId: string }> {
    const participant = this.requireParticipant(participantId);
    const opts = validate(publishOptionsSchema, options, 'options');
    const tracks = opts.media.tracks;
    requirePermitted(participant.permission, 'publish', new Set(tracks.map((t) => t.type)));
    this.requireNewSession(sessionId);
    const limit = this.config.inputLimit;
    if (limit >= 0 && this.publications.size >= limit) throw new InputLimitError('Too many inputs');
    for (const t of tracks) {
      const allowed = t.type === 'audio' ? this.config.mediaIn.audio : this.config.mediaIn.video;
      if (allowed.length === 0) throw new PermissionDeniedError(`${t.type} is forbidden in this room`);
    }
    const publication: Publication = {
      id: sessionId,
      owner: participantId,
      transportId: opts.transport.id ?? sessionId,
      requested: tracks.map((t) => ({ type: t.type, mid: t.mid, ...(t.source ? { source: t.source } : {}) })),
      attributes: opts.attributes ?? {},
      sessionReady: false,
      live: false,
      report: undefined,
      status: { audio: 'active', video: 'active' },
      info: undefined,
    };
    // Reserved now: counts against inputLimit and blocks a duplicate id while setting up.
    this.publications.set(sessionId, publication);
    const created = opts.transport.id === undefined;
    let transport: Transport | undefined;
    const setup = (async () => {
      transport = this.transports.forSession(participant, sessionId, opts.transport.id);
      const loc = await transport.created;
      this.requireStillThere(
        this.publications.get(sessionId) === publication && !transport.closed,
        sessionId,
      );
      transport.sessions.add(sessionId);
      const publishTracks: PublishTrack[] = tracks.map((t) => ({
        type: t.type,
        mid: t.mid,
        ...(t.source ? { source: t.source } : {}),
      }));
      await this.media.publish(loc, transport.id, sessionId, publishTracks);
      this.requireStillThere(this.publications.get(sessionId) === publication, sessionId);
    })();
    try {
      await this.withinDeadline(setup, sessionId);
    } catch (err) {
      // Not awaited: the state changes at once, node calls may take their time.
      void this.abandonSetup(sessionId, publication, transport, created);
      throw err;
    }
    this.log.debug({ participantId, sessionId, transportId: publication.transportId }, 'publication set up');
    return { id: sessionId, transportId: publication.transportId };
  }

  async unpublish(participantId: string, sessionId: string): Promise<void> {
    this.requireParticipant(participantId);
    const pub = this.publications.get(sessionId);
    if (!pub) throw new NotFoundError('Stream does NOT exist');
    if (pub.owner !== participantId) throw new PermissionDeniedError('unauthorized');
    await this.removePublication(pub);
  }

  async subscribe(
    participantId: string,
    sessionId: string,
    options: unknown,
  ): Promise<{ id: string; transportId: string }> {
    const participant = this.requireParticipant(participantId);
    const opts = validate(subscribeOptionsSchema, options, 'options');
    requirePermitted(participant.permission, 'subscribe', new Set(opts.media.tracks.map((t) => t.type)));
    this.requireNewSession(sessionId);
    const tracks: SubscribedTrack[] = opts.media.tracks.map((t) => {
      const source = this.resolveSource(t.from, t.type);
      const rid =
        source.rid ??
        (t.type === 'video' && t.parameters?.resolution
          ? pickLayer(this.publications.get(source.streamId)?.info, t.parameters.resolution)
          : undefined);
      return {
        type: t.type,
        mid: t.mid,
        from: t.from,
        streamId: source.streamId,
        ...(rid !== undefined ? { rid } : {}),
        ...(t.parameters ? { parameters: t.parameters } : {}),
        status: 'active' as MediaStatus,
      };
    });
    const subscription: Subscription = {
      id: sessionId,
      owner: participantId,
      transportId: opts.transport.id ?? sessionId,
      tracks,
      sessionReady: false,
      announced: false,
      links: new Set(),
    };
    this.subscriptions.set(sessionId, subscription);
    const created = opts.transport.id === undefined;
    let transport: Transport | undefined;
    const setup = (async () => {
      transport = this.transports.forSession(participant, sessionId, opts.transport.id);
      const loc = await transport.created;
      const stillThere = () => this.subscriptions.get(sessionId) === subscription && !transport?.closed;
      this.requireStillThere(stillThere(), sessionId);
      transport.sessions.add(sessionId);
      await this.prepareOutputs(subscription);
      this.requireStillThere(stillThere(), sessionId);
      await this.linkSources(subscription, loc.nodeId);
      this.requireStillThere(stillThere(), sessionId);
      const merged = await this.mergeIfNeeded(subscription, loc.nodeId);
      this.requireStillThere(stillThere(), sessionId);
      const subscribeTracks: SubscribeTrack[] = tracks.map((t) => {
        if (t.output || merged) {
          // Outputs are encoded as asked and merged streams carry no layers: nothing to pick.
          const codec = t.output?.codec ?? sourceCodec(this.publications.get(t.streamId)?.info, t.type);
          return {
            type: t.type,
            mid: t.mid,
            from: merged ?? (t.output?.routerStream as string),
            ...(codec !== undefined ? { codec } : {}),
          };
        }
        const codec = sourceCodec(this.publications.get(t.streamId)?.info, t.type);
        return {
          type: t.type,
          mid: t.mid,
          from: t.streamId,
          ...(t.rid !== undefined ? { rid: t.rid } : {}),
          ...(codec !== undefined ? { codec } : {}),
          ...(t.parameters ? { parameters: toNodeParameters(t.parameters) } : {}),
        };
      });
      await this.media.subscribe(loc, transport.id, sessionId, subscribeTracks);
      this.requireStillThere(stillThere(), sessionId);
    })();
    try {
      await this.withinDeadline(setup, sessionId);
    } catch (err) {
      void this.abandonSetup(sessionId, subscription, transport, created);
      throw err;
    }
    this.log.debug(
      { participantId, sessionId, transportId: subscription.transportId },
      'subscription set up',
    );
    return { id: sessionId, transportId: subscription.transportId };
  }

  async unsubscribe(participantId: string, sessionId: string): Promise<void> {
    this.requireParticipant(participantId);
    const sub = this.subscriptions.get(sessionId);
    if (!sub) throw new NotFoundError('Subscription does NOT exist');
    if (sub.owner !== participantId) throw new PermissionDeniedError('unauthorized');
    await this.removeSubscription(sub);
  }

  async streamControl(participantId: string, streamId: string, command: unknown): Promise<unknown> {
    this.requireParticipant(participantId);
    const pub = this.publications.get(streamId);
    if (!pub?.live) throw new NotFoundError('Stream does NOT exist');
    if (pub.owner !== participantId) throw new PermissionDeniedError('unauthorized');
    const cmd = validate(streamControlSchema, command, 'command');
    switch (cmd.operation) {
      case 'pause':
      case 'play':
        await this.setStreamMute(pub, cmd.data as Selector, cmd.operation === 'pause');
        return 'ok';
      case 'mix':
      case 'unmix':
        await this.changeViews(pub, viewLabels(cmd.data), cmd.operation);
        return 'ok';
      case 'get-region':
        return { region: await this.views.getRegion(pub.id, viewLabel(cmd.data)) };
      case 'set-region': {
        const data = cmd.data as { view?: unknown; region?: unknown } | undefined;
        // OWT takes the region's id or the region itself.
        const region =
          typeof data?.region === 'object' && data.region !== null
            ? (data.region as { id?: unknown }).id
            : data?.region;
        if (typeof region !== 'string' || region === '')
          throw new ValidationError('set-region needs data {view, region}');
        await this.views.setRegion(pub.id, viewLabel(data?.view), region);
        return 'ok';
      }
    }
  }

  async subscriptionControl(
    participantId: string,
    subscriptionId: string,
    command: unknown,
  ): Promise<unknown> {
    this.requireParticipant(participantId);
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) throw new NotFoundError('Subscription does NOT exist');
    if (sub.owner !== participantId) throw new PermissionDeniedError('unauthorized');
    const cmd = validate(subscriptionControlSchema, command, 'command');
    const loc = await this.transports.locOf(sub.transportId);
    if (cmd.operation === 'update') {
      await this.updateSubscription(sub, loc, cmd.data);
      return 'ok';
    }
    const selector = cmd.data;
    const kinds = kindsOf(selector).filter((k) => sub.tracks.some((t) => t.type === k));
    if (kinds.length === 0)
      throw new ValidationError('Subscription does NOT contain the track to pause/play');
    const muted = cmd.operation === 'pause';
    await this.media.mute(loc.nodeId, sub.id, selector, muted);
    for (const t of sub.tracks) if (kinds.includes(t.type)) t.status = muted ? 'inactive' : 'active';
    return 'ok';
  }

  async onTransportSignaling(participantId: string, transportId: string, signaling: unknown): Promise<void> {
    this.requireParticipant(participantId);
    const transport = this.transports.get(transportId);
    if (!transport || transport.owner !== participantId)
      throw new NotFoundError(`Transport ${transportId} does NOT exist`);
    if (typeof signaling !== 'object' || signaling === null)
      throw new ValidationError('signaling must be an object');
    const loc = await transport.created;
    await this.media.signal(loc, transportId, signaling);
  }

  // ---- webrtc node callbacks -------------------------------------------------------------------

  onTransportProgress(transportId: string, progress: TransportProgress): void {
    const transport = this.transports.get(transportId);
    if (!transport || transport.closed) {
      this.log.debug({ transportId }, 'progress of an unknown transport ignored');
      return;
    }
    switch (progress?.type) {
      case 'answer':
        this.notify(transport.owner, 'progress', {
          id: transportId,
          status: 'soac',
          data: { type: 'answer', sdp: progress.sdp },
        });
        return;
      case 'ready':
        transport.ready = true;
        this.notify(transport.owner, 'progress', { id: transportId, status: 'ready' });
        for (const sessionId of [...transport.sessions]) this.completeSession(sessionId);
        return;
      case 'failed':
        void this.failTransport(transport, progress.reason || 'transport failed');
        return;
      default:
        this.log.warn({ transportId, progress }, 'unknown transport progress ignored');
    }
  }

  onSessionProgress(sessionId: string, progress: SessionProgress): void {
    if (this.outputs.onProgress(sessionId, progress)) {
      if (progress.type === 'failed') setImmediate(() => this.releaseIfEmpty());
      return;
    }
    const pub = this.publications.get(sessionId);
    const sub = pub ? undefined : this.subscriptions.get(sessionId);
    if (!pub && !sub) {
      this.log.debug({ sessionId }, 'progress of an unknown session ignored');
      return;
    }
    switch (progress?.type) {
      case 'ready':
        if (pub) {
          pub.sessionReady = true;
          if (progress.media !== undefined) pub.report = this.readReport(sessionId, progress.media, pub);
        } else if (sub) sub.sessionReady = true;
        this.completeSession(sessionId);
        return;
      case 'failed': {
        const reason = progress.reason || 'session failed';
        if (pub) void this.removePublication(pub, reason).then(() => this.releaseIfEmpty());
        else if (sub) void this.removeSubscription(sub, reason);
        return;
      }
      case 'media-status':
        if (pub?.external) this.setSourceStatus(pub, progress.status === 'inactive' ? 'inactive' : 'active');
        return;
      case 'media-update':
        if (pub) {
          // A streaming-in that reconnected delivers again.
          if (pub.external) this.setSourceStatus(pub, 'active');
          pub.report = this.readReport(sessionId, progress.media, pub) ?? pub.report;
          if (pub.live) {
            this.refreshInfo(pub);
            if (this.config.notifying.streamChange) {
              this.broadcast('stream', {
                id: pub.id,
                status: 'update',
                data: { field: '.', value: pub.info },
              });
            }
          }
        }
        return;
      default:
        this.log.warn({ sessionId, progress }, 'unknown session progress ignored');
    }
  }

  /**
   * A webrtc node (nodeId) or a whole webrtc agent (agentId) is gone: every session on it is
   * reported failed to its client and removed, with everything that depended on it.
   */
  async onMediaNodeLost(lost: { nodeId?: string; agentId?: string }): Promise<void> {
    const hit = this.transports.markLost(lost);
    const inputs = [...this.publications.values()].filter((p) => {
      const loc = p.external?.loc;
      return loc !== undefined && (loc.nodeId === lost.nodeId || loc.agentId === lost.agentId);
    });
    for (const p of inputs) if (p.external?.loc) this.transports.markNodeLost(p.external.loc.nodeId);
    if (hit.length > 0) this.log.warn({ ...lost, transports: hit.map((t) => t.id) }, 'media node lost');
    if (inputs.length > 0)
      this.log.warn({ ...lost, streams: inputs.map((p) => p.id) }, 'streaming-in node lost');
    const readerIds = [...this.views.onNodeLost(lost), ...this.transcoders.onNodeLost(lost)];
    const readers = readerIds.flatMap((id) => {
      const sub = this.subscriptions.get(id);
      return sub ? [sub] : [];
    });
    // Outputs (streaming-outs, recordings) of a lost mixer end like those of a lost source.
    const outputReaders = readerIds.filter((id) => this.outputs.has(id));
    await Promise.all([
      ...hit.map((t) => this.failTransport(t, NODE_LOST_REASON)),
      ...inputs.map((p) => this.removePublication(p, NODE_LOST_REASON)),
      ...readers.map((sub) => this.removeSubscription(sub, NODE_LOST_REASON)),
      ...outputReaders.map((id) => this.outputs.remove(id)),
      this.outputs.onNodeLost(lost),
    ]);
    if (hit.length > 0 || inputs.length > 0) this.releaseIfEmpty();
  }

  /** The portal serving these participants is gone: they leave (nobody can relogin there). */
  async onPortalLost(portalId: string): Promise<void> {
    const gone = [...this.participants.values()].filter((p) => p.portal === portalId).map((p) => p.id);
    if (gone.length === 0) return;
    this.log.warn({ portalId, participants: gone.length }, 'portal lost: its participants leave');
    await Promise.all(gone.map((id) => this.leave(id).catch(() => undefined)));
  }

  // ---- management API (docs/management-api.md) ----------------------------------------------

  getParticipants(): unknown[] {
    return [...this.participants.values()].map((p) => this.participantDetail(p));
  }

  getParticipant(participantId: string): unknown {
    return this.participantDetail(this.requireParticipant(participantId));
  }

  updateParticipant(participantId: string, patches: unknown): unknown {
    const participant = this.requireParticipant(participantId);
    participant.permission = applyPermissionPatches(participant.permission, patches);
    return this.participantDetail(participant);
  }

  async dropParticipant(participantId: string): Promise<void> {
    const participant = this.requireParticipant(participantId);
    this.options.bus.cast(participant.portal, 'drop', [participantId]);
    await this.leave(participantId);
  }

  getStreams(): StreamInfo[] {
    return this.liveStreams();
  }

  getStream(streamId: string): StreamInfo {
    const mixed = this.views.stream(streamId);
    if (mixed) return mixed;
    const pub = this.publications.get(streamId);
    if (!pub?.live || !pub.info) throw new NotFoundError(`stream ${streamId} not found`);
    return pub.info;
  }

  async updateStream(streamId: string, patches: unknown): Promise<StreamInfo> {
    const list = validate(streamPatchesSchema, patches, 'patches');
    if (this.views.isMixed(streamId)) return await this.updateMixedStream(streamId, list);
    const pub = this.publications.get(streamId);
    if (!pub?.live) throw new NotFoundError(`stream ${streamId} not found`);
    // Check everything before changing anything.
    const mutes: { kind: MediaKind; muted: boolean }[] = [];
    const viewChanges: { label: string; op: 'mix' | 'unmix' }[] = [];
    for (const patch of list) {
      if (patch.path === '/info/inViews') {
        viewChanges.push({
          label: this.requireViewLabel(viewLabel(patch.value)),
          op: patch.op === 'add' ? 'mix' : 'unmix',
        });
        continue;
      }
      if (patch.path === '/media/audio/status' || patch.path === '/media/video/status') {
        const kind: MediaKind = patch.path === '/media/audio/status' ? 'audio' : 'video';
        if (!pub.requested.some((t) => t.type === kind))
          throw new ValidationError(`stream has no ${kind} track`);
        if (pub.status[kind] !== patch.value) mutes.push({ kind, muted: patch.value === 'inactive' });
        continue;
      }
      throw new ValidationError(
        `${patch.path} applies to mixed streams only; ${streamId} is a forward stream`,
      );
    }
    for (const m of mutes) {
      const current = this.publications.get(streamId);
      if (!current) throw new NotFoundError(`stream ${streamId} not found`);
      await this.setStreamMute(current, m.kind, m.muted);
    }
    for (const change of viewChanges) {
      const current = this.publications.get(streamId);
      if (!current) throw new NotFoundError(`stream ${streamId} not found`);
      await this.changeViews(current, [change.label], change.op);
    }
    return this.getStream(streamId);
  }

  /** REST PATCH of a mixed stream: its layout (`/info/layout`, `/info/layout/N/stream`). */
  private async updateMixedStream(streamId: string, list: StreamPatch[]): Promise<StreamInfo> {
    for (const patch of list) {
      if (patch.op !== 'replace' || !patch.path.startsWith('/info/layout'))
        throw new ValidationError(`${patch.path} does not apply to a mixed stream`);
    }
    for (const patch of list) {
      const index = /^\/info\/layout\/(\d+)\/stream$/.exec(patch.path);
      if (index) await this.views.setLayoutStream(streamId, Number(index[1]), patch.value);
      else await this.views.setLayout(streamId, patch.value);
    }
    return this.getStream(streamId);
  }

  async deleteStream(streamId: string): Promise<void> {
    if (this.views.isMixed(streamId)) throw new ValidationError('a mixed stream cannot be deleted');
    const pub = this.publications.get(streamId);
    if (!pub) throw new NotFoundError(`stream ${streamId} not found`);
    await this.removePublication(pub, 'Stream deleted by the room administrator');
    this.releaseIfEmpty();
  }

  /**
   * REST streaming-in: a `streaming-in` source on a streaming node (task = stream id), announced
   * as a forward stream (info.type 'streaming', owner 'admin') once it delivers media. Answers
   * with its StreamInfo when it connected within the setup time, else with what is known so far
   * (the `stream add` follows when it connects).
   */
  async addStreamingIn(body: unknown): Promise<ForwardStreamInfo> {
    this.requireLive();
    const req = validate(createStreamingInBody, body, 'streaming-in');
    const limit = this.config.inputLimit;
    if (limit >= 0 && this.publications.size >= limit) throw new InputLimitError('Too many inputs');
    const requested: RequestedTrack[] = [];
    if (req.media.audio !== false) requested.push({ type: 'audio', mid: '0' });
    if (req.media.video !== false) requested.push({ type: 'video', mid: '1' });
    if (requested.length === 0) throw new ValidationError('media: neither audio nor video requested');
    const id = randomBytes(8).toString('hex');
    const pub: Publication = {
      id,
      owner: 'admin',
      transportId: '',
      requested,
      attributes: req.attributes ?? {},
      sessionReady: false,
      live: false,
      report: undefined,
      status: { audio: 'active', video: 'active' },
      info: undefined,
      external: { loc: undefined, url: req.connection.url },
    };
    this.publications.set(id, pub);
    const live = new Promise<boolean>((resolve) => this.liveWaiters.set(id, resolve));
    try {
      const loc = await this.media.placeTask('streaming', id);
      if (pub.external) pub.external.loc = loc;
      this.requireStillThere(this.publications.get(id) === pub, id);
      await this.media.publishSource(loc.nodeId, id, {
        type: 'streaming-in',
        url: req.connection.url,
        transportProtocol: req.connection.transportProtocol,
        bufferSize: req.connection.bufferSize,
        media: { audio: req.media.audio, video: req.media.video },
      });
    } catch (err) {
      this.liveWaiters.delete(id);
      await this.removePublication(pub);
      this.releaseIfEmpty();
      throw new MediaSetupError(`streaming-in could not be set up: ${errorText(err)}`, { cause: err });
    }
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      live,
      new Promise<'pending'>((resolve) => {
        // Bounded below the management API's call timeout (5 s by default).
        timer = setTimeout(() => resolve('pending'), Math.min(this.setupTimeoutMs, 3000));
      }),
    ]);
    clearTimeout(timer);
    this.liveWaiters.delete(id);
    if (outcome === false) throw new MediaSetupError(`streaming-in ${id} failed to connect`);
    this.log.info({ streamId: id, url: pub.external?.url, live: outcome === true }, 'streaming-in added');
    if (pub.info) return pub.info;
    return {
      id,
      type: 'forward',
      media: { tracks: [] },
      info: { owner: 'admin', type: 'streaming', inViews: [], attributes: pub.attributes },
    };
  }

  getOutputs(kind: OutputKind): unknown[] {
    return this.outputs.list(kind);
  }

  addOutput(kind: OutputKind, body: unknown): Promise<unknown> {
    this.requireLive();
    return this.outputs.add(kind, body);
  }

  updateOutput(kind: OutputKind, id: string, patches: unknown): Promise<unknown> {
    return this.outputs.update(kind, id, patches);
  }

  async deleteOutput(kind: OutputKind, id: string): Promise<void> {
    await this.outputs.removeOf(kind, id);
    this.releaseIfEmpty();
  }

  updateRoomConfig(config: unknown): void {
    this.config = parseRoomConfig(config, 'config');
    this.log.info('room configuration updated');
  }

  /** Drop everyone and end the room. */
  async destroy(): Promise<void> {
    const ids = [...this.participants.keys()];
    await Promise.all(ids.map((id) => this.dropParticipant(id).catch(() => undefined)));
    await this.outputs.removeAll();
    const inputs = [...this.publications.values()].filter((p) => p.external);
    await Promise.all(inputs.map((p) => this.removePublication(p)));
    this.release();
  }

  // ---- internals -------------------------------------------------------------------------------

  private requireLive(): void {
    if (this.released) throw new NotFoundError(`room ${this.roomId} is not live`);
  }

  private requireParticipant(participantId: string): Participant {
    const participant = this.participants.get(participantId);
    if (!participant) throw new NotFoundError('Participant has not joined');
    return participant;
  }

  private requireNewSession(sessionId: string): void {
    if (typeof sessionId !== 'string' || sessionId === '') throw new ValidationError('session id missing');
    if (
      this.publications.has(sessionId) ||
      this.subscriptions.has(sessionId) ||
      this.transports.has(sessionId)
    )
      throw new ValidationError(`session ${sessionId} exists`);
  }

  /**
   * A setup that takes longer than setupTimeoutMs is given up (the portal stops waiting about
   * then): the caller undoes it and the steps still under way find the session gone.
   */
  private async withinDeadline(setup: Promise<void>, sessionId: string): Promise<void> {
    setup.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MediaSetupError(`session ${sessionId} not set up within ${this.setupTimeoutMs} ms`)),
        this.setupTimeoutMs,
      );
    });
    try {
      await Promise.race([setup, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private requireStillThere(ok: boolean, sessionId: string): void {
    if (!ok) throw new MediaSetupError(`session ${sessionId} ended while it was being set up`);
  }

  private participantDetail(p: Participant) {
    return {
      id: p.id,
      role: p.role,
      user: p.user,
      permission: p.permission,
      portal: p.portal,
      ...(p.origin !== undefined ? { info: { origin: p.origin } } : {}),
    };
  }

  private joinResult(participant: Participant): JoinResult {
    return {
      permission: participant.permission,
      room: {
        id: this.roomId,
        views: this.config.views.map((v) => v.label),
        participants: [...this.participants.values()].map((p) => ({ id: p.id, user: p.user, role: p.role })),
        streams: this.liveStreams(),
      },
    };
  }

  /** Mixed streams (always there, as in OWT) and the live forward streams. */
  private liveStreams(): StreamInfo[] {
    const forward = [...this.publications.values()].flatMap((p) => (p.live && p.info ? [p.info] : []));
    return [...this.views.streams(), ...forward];
  }

  private notify(participantId: string, event: PortalEvent, data: unknown): void {
    const participant = this.participants.get(participantId);
    if (!participant) return;
    this.options.bus.cast(participant.portal, 'notify', [participantId, event, data]);
  }

  private broadcast(event: PortalEvent, data: unknown, except?: string): void {
    for (const id of this.participants.keys()) if (id !== except) this.notify(id, event, data);
  }

  private readReport(sessionId: string, media: unknown, pub?: Publication): MediaReport | undefined {
    if (pub?.external) {
      const report = streamingMediaReport(media);
      if (!report) this.log.warn({ sessionId }, 'unreadable streaming-in media ignored');
      return report;
    }
    const parsed = mediaReportSchema.safeParse(media);
    if (parsed.success) return parsed.data;
    this.log.warn({ sessionId, issues: parsed.error.issues.slice(0, 3) }, 'unreadable media report ignored');
    return undefined;
  }

  /** A publish/subscribe that failed half way: undo what it did; the caller rethrows. */
  private async abandonSetup(
    sessionId: string,
    record: Publication | Subscription,
    transport: Transport | undefined,
    createdHere: boolean,
  ): Promise<void> {
    if ('requested' in record) {
      if (this.publications.get(sessionId) === record) await this.removePublication(record);
    } else if (this.subscriptions.get(sessionId) === record) {
      await this.removeSubscription(record);
    }
    // A transport made for this request that carries nothing: the client never learnt its id.
    if (createdHere && transport && !transport.closed && transport.sessions.size === 0) {
      await this.transports.close(transport);
    }
  }

  private quietly(p: Promise<unknown>, what: string, fields: Record<string, unknown>): Promise<void> {
    return p.then(
      () => undefined,
      (err: unknown) => this.log.debug({ ...fields, err: errorText(err) }, `${what} failed (ignored)`),
    );
  }

  /** Session up on the node and transport up: the client hears `ready`, a stream goes live. */
  private completeSession(sessionId: string): void {
    const pub = this.publications.get(sessionId);
    if (pub) {
      const transport = this.transports.get(pub.transportId);
      if (pub.live || !pub.sessionReady || (!pub.external && !transport?.ready)) return;
      this.refreshInfo(pub);
      const info = pub.info;
      const rejection = info ? unacceptableFormat(info, this.config) : 'No valid tracks in stream';
      if (rejection) {
        void this.removePublication(pub, rejection);
        return;
      }
      pub.live = true;
      this.liveWaiters.get(pub.id)?.(true);
      this.notify(pub.owner, 'progress', { id: pub.transportId, sessionId, status: 'ready' });
      if (this.config.notifying.streamChange)
        this.broadcast('stream', { id: pub.id, status: 'add', data: info });
      this.log.info({ streamId: pub.id, owner: pub.owner }, 'stream live');
      return;
    }
    const sub = this.subscriptions.get(sessionId);
    if (sub) {
      const transport = this.transports.get(sub.transportId);
      if (sub.announced || !sub.sessionReady || !transport?.ready) return;
      sub.announced = true;
      this.notify(sub.owner, 'progress', { id: sub.transportId, sessionId, status: 'ready' });
    }
  }

  private refreshInfo(pub: Publication): void {
    const tracks = buildTracks(pub.id, pub.requested, pub.report, this.config, pub.status);
    pub.info =
      tracks.length === 0
        ? undefined
        : {
            id: pub.id,
            type: 'forward',
            media: { tracks },
            info: {
              owner: pub.owner,
              type: pub.external ? 'streaming' : 'webrtc',
              inViews: this.views.inViewsOf(pub.id),
              attributes: pub.attributes,
            },
          };
  }

  private requireViewLabel(label: string): string {
    if (!this.config.views.some((v) => v.label === label))
      throw new NotFoundError(`view ${label} does not exist`);
    return label;
  }

  /** Mixes the stream into (or out of) views, then its StreamInfo lists where it is. */
  private async changeViews(pub: Publication, labels: string[], op: 'mix' | 'unmix'): Promise<void> {
    for (const label of labels) this.requireViewLabel(label);
    try {
      for (const label of labels) {
        if (op === 'mix') await this.views.mix(pub.id, label);
        else await this.views.unmix(pub.id, label);
      }
    } finally {
      if (pub.info) pub.info.info.inViews = this.views.inViewsOf(pub.id);
      await this.refreshMixedAudio(pub.owner);
    }
  }

  /**
   * A participant's stream joined or left a view: their subscriptions of its mixed audio move
   * to the mix without their voice (or back to the shared full mix).
   */
  private async refreshMixedAudio(participantId: string): Promise<void> {
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.owner !== participantId) continue;
      const audio = sub.tracks.find(
        (t) =>
          t.type === 'audio' &&
          t.output !== undefined &&
          this.views.audioOutputChanged(t.streamId, participantId, t.output.routerStream),
      );
      if (!audio) continue;
      const loc = await this.transports.locOf(sub.transportId).catch(() => undefined);
      if (!loc || this.subscriptions.get(sub.id) !== sub) continue;
      await this.reroute(sub, loc, [{ track: audio, streamId: audio.streamId, from: audio.from }]).catch(
        (err: unknown) =>
          this.log.warn({ subscriptionId: sub.id, err: errorText(err) }, 'mixed audio not switched'),
      );
    }
  }

  /** An audio node named a new active speaker of a view (its mixer id is the mixed stream id). */
  onActiveAudio(mixerId: string, streamId: string): void {
    this.views.onActiveInput(mixerId, streamId);
  }

  /** What a subscription's `from` names: a stream id, or one of its track ids (simulcast rid). */
  private resolveSource(from: string, type: MediaKind): { streamId: string; rid?: string } {
    const mixed = this.views.stream(from);
    if (mixed) {
      if (!mixed.media.tracks.some((t) => t.type === type))
        throw new NotFoundError(`Target ${type} stream does NOT exist in ${from}`);
      return { streamId: from };
    }
    const direct = this.publications.get(from);
    if (direct?.live && direct.info) {
      if (!direct.info.media.tracks.some((t) => t.type === type))
        throw new NotFoundError(`Target ${type} stream does NOT exist in ${from}`);
      return { streamId: from };
    }
    for (const pub of this.publications.values()) {
      if (!pub.live || !pub.info) continue;
      const track = pub.info.media.tracks.find((t) => t.id === from);
      if (!track) continue;
      if (track.type !== type) throw new ValidationError(`track ${from} is not ${type}`);
      return { streamId: pub.id, ...(track.rid !== undefined ? { rid: track.rid } : {}) };
    }
    throw new NotFoundError(`Subscription source not found: ${from}`);
  }

  /**
   * Brings every stream the subscription reads to its node over internal links (one link per
   * router stream per destination node, shared), and lets go of links it no longer reads.
   */
  private async linkSources(sub: Subscription, destNode: string): Promise<void> {
    const wanted = new Set<string>();
    const seen = new Set<string>();
    for (const track of sub.tracks) {
      const { routerStream, publicationId, nodeId } = this.trackSource(track);
      if (seen.has(routerStream)) continue;
      seen.add(routerStream);
      if (nodeId === destNode) continue;
      const key = await this.links.use(sub.id, routerStream, publicationId, nodeId, destNode);
      wanted.add(key);
      sub.links.add(key);
      if (this.subscriptions.get(sub.id) !== sub) {
        // Removed while the link came up: its removal could not see this key.
        await this.links.release(sub.id, [key]);
        return;
      }
    }
    const unused = [...sub.links].filter((key) => !wanted.has(key));
    for (const key of unused) sub.links.delete(key);
    await this.links.release(sub.id, unused);
  }

  /** The router stream a subscribed track reads, the stream it belongs to and the node holding it. */
  private trackSource(track: SubscribedTrack): {
    routerStream: string;
    publicationId: string;
    nodeId: string;
  } {
    if (track.output)
      return {
        routerStream: track.output.routerStream,
        publicationId: track.streamId,
        nodeId: track.output.nodeId,
      };
    const source = this.publications.get(track.streamId);
    const loc = source ? this.sourceLoc(source) : undefined;
    if (!source || !loc) throw new NotFoundError(`Subscription source not found: ${track.streamId}`);
    const routerStream =
      track.type === 'video' && track.rid !== undefined
        ? layerStreamId(track.streamId, track.rid)
        : track.streamId;
    return { routerStream, publicationId: track.streamId, nodeId: loc.nodeId };
  }

  /**
   * Tracks that read an encoded output instead of a forward stream get it: every track of a
   * mixed stream, and forward video asked for at another size or rate (a transcoder).
   */
  private async prepareOutputs(sub: Subscription): Promise<void> {
    for (const t of sub.tracks) {
      if (t.output) continue;
      const parameters = t.parameters as VideoParameters | undefined;
      if (this.views.isMixed(t.streamId)) {
        t.output = await this.views.acquireOutput(
          t.streamId,
          t.type,
          { ...(parameters ? { parameters } : {}), participantId: sub.owner },
          sub.id,
        );
      } else if (t.type === 'video') {
        const info = this.publications.get(t.streamId)?.info;
        const track = info?.media.tracks.find(
          (x) => x.type === 'video' && (t.rid === undefined || x.rid === t.rid),
        );
        const spec = transcodeSpecFor(track, parameters, this.config);
        if (spec) {
          const input = t.rid !== undefined ? layerStreamId(t.streamId, t.rid) : t.streamId;
          t.output = await this.transcoders.acquire(t.streamId, input, spec, sub.id, track?.format.codec);
        }
      }
      if (this.subscriptions.get(sub.id) !== sub) {
        // Removed meanwhile: its removal could not release what arrived after it.
        await this.releaseOutputsOf(sub.id);
        throw new MediaSetupError(`session ${sub.id} ended while it was being set up`);
      }
    }
  }

  /** The session reads no mixer or transcoder output any more (or not `only` that one). */
  private async releaseOutputsOf(sessionId: string, only?: string): Promise<void> {
    await Promise.all([
      this.views.releaseOutputs(sessionId, only),
      this.transcoders.release(sessionId, only),
    ]);
  }

  /**
   * Audio and video from different router streams (outputs, two publications) reach the
   * subscriber's node as one `merge` stream there; its id, or undefined when one stream serves.
   */
  private async mergeIfNeeded(
    sub: Subscription,
    nodeId: string,
    streamId = `merge:${sub.id}`,
  ): Promise<string | undefined> {
    const audio = sub.tracks.find((t) => t.type === 'audio');
    const video = sub.tracks.find((t) => t.type === 'video');
    if (!audio || !video) return undefined;
    if (!audio.output && !video.output && audio.streamId === video.streamId) return undefined;
    await this.media.publishLocal(nodeId, streamId, {
      type: 'merge',
      audio: this.trackSource(audio).routerStream,
      video: this.trackSource(video).routerStream,
    });
    sub.merge = { nodeId, streamId };
    return streamId;
  }

  /**
   * Removes a publication: its subscribers fail with "Source stream loss", the node stops it,
   * the room hears `stream remove`. With `error`, the owner also gets a progress error.
   */
  private async removePublication(pub: Publication, error?: string): Promise<void> {
    if (this.publications.get(pub.id) !== pub) return;
    this.publications.delete(pub.id);
    this.liveWaiters.get(pub.id)?.(false);
    const transport = pub.external ? undefined : this.transports.get(pub.transportId);
    transport?.sessions.delete(pub.id);
    if (error !== undefined) {
      this.notify(pub.owner, 'progress', {
        id: pub.transportId,
        sessionId: pub.id,
        status: 'error',
        data: error,
      });
    }
    const work: Promise<void>[] = [];
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.tracks.some((t) => t.streamId === pub.id))
        work.push(this.removeSubscription(sub, SOURCE_LOST_REASON));
    }
    if (pub.live && this.config.notifying.streamChange)
      this.broadcast('stream', { id: pub.id, status: 'remove' });
    work.push(this.outputs.onPublicationRemoved(pub.id));
    work.push(this.views.onPublicationRemoved(pub.id));
    const loc = transport?.loc;
    if (transport && loc && this.transports.nodeAlive(loc.nodeId)) {
      work.push(
        this.quietly(this.media.unpublish(loc, transport.id, pub.id), 'unpublish', { streamId: pub.id }),
      );
    }
    const inputLoc = pub.external?.loc;
    if (inputLoc) {
      const alive = this.transports.nodeAlive(inputLoc.nodeId);
      work.push(
        (async () => {
          if (alive)
            await this.quietly(this.media.unpublishSource(inputLoc.nodeId, pub.id), 'unpublish', {
              streamId: pub.id,
            });
          await this.media.releaseTask(inputLoc, pub.id, alive);
        })(),
      );
    }
    await Promise.all(work);
    await this.transcoders.onPublicationRemoved(pub.id);
    await this.links.dropPublication(pub.id);
    this.log.info({ streamId: pub.id, reason: error }, 'publication removed');
  }

  private async removeSubscription(sub: Subscription, error?: string): Promise<void> {
    if (this.subscriptions.get(sub.id) !== sub) return;
    this.subscriptions.delete(sub.id);
    const transport = this.transports.get(sub.transportId);
    transport?.sessions.delete(sub.id);
    if (error !== undefined) {
      this.notify(sub.owner, 'progress', {
        id: sub.transportId,
        sessionId: sub.id,
        status: 'error',
        data: error,
      });
    }
    const loc = transport?.loc;
    const work: Promise<void>[] = [this.links.release(sub.id, sub.links), this.releaseOutputsOf(sub.id)];
    const merge = sub.merge;
    if (merge && this.transports.nodeAlive(merge.nodeId)) {
      work.push(
        this.quietly(this.media.unpublishSource(merge.nodeId, merge.streamId), 'merge unpublish', {
          subscriptionId: sub.id,
        }),
      );
    }
    if (transport && loc && this.transports.nodeAlive(loc.nodeId)) {
      work.push(
        this.quietly(this.media.unsubscribe(loc, transport.id, sub.id), 'unsubscribe', {
          subscriptionId: sub.id,
        }),
      );
    }
    await Promise.all(work);
    this.log.debug({ subscriptionId: sub.id, reason: error }, 'subscription removed');
  }

  /** A transport failed or its node died: each of its sessions fails towards its client. */
  private async failTransport(transport: Transport, reason: string): Promise<void> {
    if (transport.closed) return;
    const work: Promise<void>[] = [];
    for (const sessionId of [...transport.sessions]) {
      const pub = this.publications.get(sessionId);
      if (pub) work.push(this.removePublication(pub, reason));
      const sub = this.subscriptions.get(sessionId);
      if (sub) work.push(this.removeSubscription(sub, reason));
    }
    // Sessions still being set up on it see `closed` and fail in their own request.
    await Promise.all(work);
    await this.transports.close(transport);
  }

  private async setStreamMute(pub: Publication, selector: Selector, muted: boolean): Promise<void> {
    const kinds = kindsOf(selector).filter((k) => pub.requested.some((t) => t.type === k));
    if (kinds.length === 0) throw new ValidationError('Stream does NOT contain valid track to pause/play');
    if (pub.external) throw new NotImplementedError('pausing a streaming-in is not supported');
    const loc = await this.transports.locOf(pub.transportId);
    await this.media.mute(loc.nodeId, pub.id, selector, muted);
    if (this.publications.get(pub.id) !== pub) return;
    const status: MediaStatus = muted ? 'inactive' : 'active';
    for (const kind of kinds) pub.status[kind] = status;
    if (pub.info) for (const t of pub.info.media.tracks) if (kinds.includes(t.type)) t.status = status;
    if (pub.live && this.config.notifying.streamChange) {
      for (const kind of kinds) {
        this.broadcast('stream', {
          id: pub.id,
          status: 'update',
          data: { field: `${kind}.status`, value: status },
        });
      }
    }
  }

  /**
   * subscription-control update. A new resolution/bitrate or another simulcast track of the
   * same forward stream picks a layer on the node. Everything else — another stream, a mixed
   * stream's other settings, settings that need (or no longer need) a transcoder — moves the
   * subscription to other router streams (`reroute`), as long as the codec the answer fixed
   * stays the same.
   */
  private async updateSubscription(
    sub: Subscription,
    loc: Locality,
    data: { audio?: { from?: string }; video?: { from?: string; parameters?: VideoParameters } },
  ): Promise<void> {
    const audio = sub.tracks.find((t) => t.type === 'audio');
    const video = sub.tracks.find((t) => t.type === 'video');
    if (data.audio && !audio) throw new ValidationError('Target subscription does NOT have audio to update');
    if (data.video && !video) throw new ValidationError('Target subscription does NOT have video to update');
    const moves: TrackMove[] = [];
    if (audio && data.audio?.from && data.audio.from !== audio.from) {
      const source = this.resolveSource(data.audio.from, 'audio');
      moves.push({ track: audio, streamId: source.streamId, from: data.audio.from });
    }
    if (!video || !data.video) {
      if (moves.length > 0) await this.reroute(sub, loc, moves);
      return;
    }
    let streamId = video.streamId;
    let rid = video.rid;
    if (data.video.from && data.video.from !== video.from) {
      const source = this.resolveSource(data.video.from, 'video');
      streamId = source.streamId;
      rid = source.rid;
    }
    const parameters = data.video.parameters
      ? { ...(video.parameters as VideoParameters | undefined), ...data.video.parameters }
      : (video.parameters as VideoParameters | undefined);
    const info = this.publications.get(streamId)?.info;
    if (streamId === video.streamId && rid === video.rid && data.video.parameters?.resolution)
      rid = pickLayer(info, data.video.parameters.resolution) ?? rid;
    const track = info?.media.tracks.find((t) => t.type === 'video' && (rid === undefined || t.rid === rid));
    const simple =
      streamId === video.streamId &&
      !video.output &&
      !sub.merge &&
      !sub.rerouted &&
      moves.length === 0 &&
      !this.views.isMixed(streamId) &&
      transcodeSpecFor(track, parameters, this.config) === undefined;
    if (!simple) {
      moves.push({ track: video, streamId, from: data.video.from ?? video.from, rid, parameters });
      await this.reroute(sub, loc, moves);
      return;
    }
    const params = data.video.parameters ? toNodeParameters(data.video.parameters) : undefined;
    // 'xN' that the source's bitrate cannot resolve goes to the node, which measures its layers.
    const bitrate =
      bitrateKbps(info, params?.bitrate) ??
      (typeof params?.bitrate === 'string' ? params.bitrate : undefined);
    const spec = {
      ...(rid !== undefined ? { rid } : {}),
      ...(params?.resolution ? { resolution: params.resolution } : {}),
      ...(bitrate !== undefined ? { bitrate } : {}),
    };
    if (Object.keys(spec).length === 0) return;
    const previousRid = video.rid;
    if (rid !== undefined) video.rid = rid;
    try {
      // A layer from another node must be on this one before the switch.
      await this.linkSources(sub, loc.nodeId);
      await this.media.setLayer(loc.nodeId, sub.id, spec);
    } catch (err) {
      if (previousRid === undefined) delete video.rid;
      else video.rid = previousRid;
      throw err;
    }
    if (data.video.from) video.from = data.video.from;
    if (data.video.parameters) video.parameters = parameters;
  }

  /**
   * Moves tracks of a set-up subscription to other router streams without renegotiation: the
   * new outputs (mixer, transcoder) are acquired, the streams linked to its node, a merge made
   * when audio and video now come from two streams, the node's sink relinked; what it read
   * before is let go. The codec of each track must stay (the SDP answer fixed it).
   */
  private async reroute(sub: Subscription, loc: Locality, moves: TrackMove[]): Promise<void> {
    const before = sub.tracks.map((t) => ({ ...t }));
    const previousMerge = sub.merge;
    const acquired: AcquiredOutput[] = [];
    let changed = false;
    const releaseAcquired = () =>
      Promise.all(
        acquired
          .filter((a) => !before.some((t) => t.output?.routerStream === a.routerStream))
          .map((a) => this.releaseOutputsOf(sub.id, a.routerStream)),
      );
    try {
      for (const move of moves) {
        const kind = move.track.type;
        let next: AcquiredOutput | undefined;
        if (this.views.isMixed(move.streamId)) {
          next = await this.views.acquireOutput(
            move.streamId,
            kind,
            { ...(move.parameters ? { parameters: move.parameters } : {}), participantId: sub.owner },
            sub.id,
          );
        } else if (kind === 'video') {
          const info = this.publications.get(move.streamId)?.info;
          const track = info?.media.tracks.find(
            (t) => t.type === 'video' && (move.rid === undefined || t.rid === move.rid),
          );
          const spec = transcodeSpecFor(track, move.parameters, this.config);
          const input = move.rid !== undefined ? layerStreamId(move.streamId, move.rid) : move.streamId;
          if (spec)
            next = await this.transcoders.acquire(move.streamId, input, spec, sub.id, track?.format.codec);
        }
        if (next) acquired.push(next);
        const unchanged =
          move.streamId === move.track.streamId &&
          move.rid === move.track.rid &&
          next?.routerStream === move.track.output?.routerStream;
        if (unchanged) {
          if (move.parameters) move.track.parameters = move.parameters;
          continue;
        }
        changed = true;
        const codecBefore =
          move.track.output?.codec ?? sourceCodec(this.publications.get(move.track.streamId)?.info, kind);
        const codecAfter = next?.codec ?? sourceCodec(this.publications.get(move.streamId)?.info, kind);
        if (codecBefore && codecAfter && codecBefore.toLowerCase() !== codecAfter.toLowerCase())
          throw new NotImplementedError(
            `${kind} would change from ${codecBefore} to ${codecAfter}, which needs renegotiation: subscribe again`,
          );
        move.track.streamId = move.streamId;
        move.track.from = move.from;
        if (move.rid !== undefined) move.track.rid = move.rid;
        else delete move.track.rid;
        if (next) move.track.output = next;
        else delete move.track.output;
        if (move.parameters) move.track.parameters = move.parameters;
      }
      this.requireStillThere(this.subscriptions.get(sub.id) === sub, sub.id);
    } catch (err) {
      // Nothing changed on the nodes yet: the subscription reads what it read.
      sub.tracks.splice(0, sub.tracks.length, ...before);
      await releaseAcquired();
      throw err;
    }
    // The same streams as before (e.g. settings a shared output already has): nothing to move.
    if (!changed) return;
    try {
      await this.linkSources(sub, loc.nodeId);
      sub.merge = undefined;
      const merged = await this.mergeIfNeeded(sub, loc.nodeId, `merge:${sub.id}:${++this.mergeSeq}`);
      const lead = sub.tracks.find((t) => t.type === 'video') ?? (sub.tracks[0] as SubscribedTrack);
      await this.media.linkup(loc.nodeId, sub.id, merged ?? this.trackSource(lead).routerStream);
      sub.rerouted = true;
    } catch (err) {
      // Half moved on the nodes: the subscription ends rather than stay half alive.
      await releaseAcquired();
      void this.removeSubscription(sub, `subscription update failed: ${errorText(err)}`);
      throw err;
    }
    if (previousMerge && this.transports.nodeAlive(previousMerge.nodeId))
      await this.quietly(
        this.media.unpublishSource(previousMerge.nodeId, previousMerge.streamId),
        'merge unpublish',
        {
          subscriptionId: sub.id,
        },
      );
    const reading = new Set(sub.tracks.flatMap((t) => (t.output ? [t.output.routerStream] : [])));
    await Promise.all(
      before
        .filter((t) => t.output && !reading.has(t.output.routerStream))
        .map((t) => this.releaseOutputsOf(sub.id, (t.output as AcquiredOutput).routerStream)),
    );
    this.log.debug({ subscriptionId: sub.id, moves: moves.map((m) => m.streamId) }, 'subscription rerouted');
  }

  /** A streaming-in's source paused (reconnecting) or resumed: `stream update` per track kind. */
  private setSourceStatus(pub: Publication, status: MediaStatus): void {
    const kinds = (['audio', 'video'] as const).filter(
      (k) => pub.requested.some((t) => t.type === k) && pub.status[k] !== status,
    );
    for (const kind of kinds) pub.status[kind] = status;
    if (pub.info) for (const t of pub.info.media.tracks) if (kinds.includes(t.type)) t.status = status;
    if (!pub.live || !this.config.notifying.streamChange) return;
    for (const kind of kinds)
      this.broadcast('stream', {
        id: pub.id,
        status: 'update',
        data: { field: `${kind}.status`, value: status },
      });
  }

  /** Releases the room when nobody is in it (e.g. after a refused first join). */
  releaseIfEmpty(): void {
    if (this.participants.size > 0 || this.outputs.size > 0) return;
    for (const pub of this.publications.values()) if (pub.external) return;
    this.release();
  }

  /** The node holding a publication's router stream. */
  private sourceLoc(pub: Publication): Locality | undefined {
    return pub.external ? pub.external.loc : this.transports.get(pub.transportId)?.loc;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.log.info('room empty: released');
    // Mixers and transcoders outlive nobody: their nodes go back to their agents.
    void Promise.all([this.views.close(), this.transcoders.close()]).catch((err: unknown) =>
      this.log.warn({ err: errorText(err) }, 'mixers not all released'),
    );
    this.options.onEmpty();
  }
}
