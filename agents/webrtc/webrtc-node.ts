import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.js';
import { LinkHub } from '../../common/links/link-hub.js';
import { LinkServer } from '../../common/links/link-server.js';
import { createLogger } from '../../common/logger.js';
import type { MediaKind } from '../../common/media/media-frame.js';
import { mediaPrimitiveHandlers } from '../../common/media/media-primitive-handlers.js';
import { MediaRouter } from '../../common/media/media-router.js';
import type { RpcBus, RpcHandlers } from '../../common/rpc/rpc-bus.js';
import type { SessionProgress, TransportProgress } from '../../conference/protocol.js';
import { FanoutPacer } from './outgoing/fanout-pacer.js';
import {
  layerStreamId,
  MEDIA_PRIMITIVE_METHODS,
  type PublishTrack,
  type SubscribeTrack,
  type TransportSpec,
  type TransportStats,
} from './protocol.js';
import { SharedPacketizer } from './shared-packetizer.js';
import type { WebrtcNodeConfig } from './webrtc-config.js';
import { UnknownSessionError } from './webrtc-errors.js';
import { WebrtcPublication } from './webrtc-publication.js';
import { WebrtcSubscription } from './webrtc-subscription.js';
import { WebrtcTransport } from './webrtc-transport.js';

const log = createLogger('webrtc-node');

const TICK_MS = 20;
const REMB_INTERVAL_MS = 1000;

const idSchema = z.string().min(1).max(255);
const specSchema = z.object({ room: z.string(), owner: z.string(), controller: z.string().min(1) }).loose();
const publishTracksSchema = z
  .array(
    z
      .object({ type: z.enum(['audio', 'video']), mid: z.string().min(1), source: z.string().optional() })
      .loose(),
  )
  .min(1);
const subscribeTracksSchema = z
  .array(
    z
      .object({
        type: z.enum(['audio', 'video']),
        mid: z.string().min(1),
        from: z.string().min(1),
        rid: z.string().optional(),
        codec: z.string().optional(),
        parameters: z
          .object({
            resolution: z.object({ width: z.number(), height: z.number() }).optional(),
            framerate: z.number().optional(),
            bitrate: z.union([z.string(), z.number()]).optional(),
            keyFrameInterval: z.number().optional(),
          })
          .loose()
          .optional(),
      })
      .loose(),
  )
  .min(1);
const kindSchema = z.enum(['audio', 'video', 'av']);
const layerSchema = z
  .object({
    rid: z.string().optional(),
    resolution: z.object({ width: z.number(), height: z.number() }).optional(),
    /** kbps, or 'xN' relative to the top layer's measured rate. */
    bitrate: z.union([z.number().positive(), z.string().regex(/^x\d+(\.\d+)?$/)]).optional(),
  })
  .loose();

/** setLayer's spec: a rid, a resolution or a bitrate (kbps or 'xN' of the top layer). */
type LayerSpec = z.output<typeof layerSchema>;

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(`invalid ${what}: ${result.error.issues.map((i) => i.message).join('; ')}`);
  }
  return result.data;
}

export interface WebrtcNodeOptions {
  nodeId: string;
  bus: RpcBus;
  config: WebrtcNodeConfig;
}

/**
 * The webrtc node: peer connections (transports) of clients, their publications and
 * subscriptions on one MediaRouter, and internal links to other nodes (media primitives).
 */
export class WebrtcNode {
  readonly router = new MediaRouter();
  readonly hub: LinkHub;
  private readonly packetizer = new SharedPacketizer();
  private readonly pacer: FanoutPacer;
  private readonly transports = new Map<string, WebrtcTransport>();
  /** sessionId → transport, for mute/setLayer which name only the session. */
  private readonly sessionTransport = new Map<string, WebrtcTransport>();
  /** Subscriptions whose source stream is not (yet) on this node: linked once it appears. */
  private readonly unlinked = new Map<string, string>();
  private readonly tick: NodeJS.Timeout;
  private readonly remb: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly options: WebrtcNodeOptions,
    private readonly linkServer: LinkServer,
    secret: string,
  ) {
    this.hub = new LinkHub({ nodeId: options.nodeId, secret, server: linkServer });
    this.pacer = new FanoutPacer({ sliceMs: options.config.webrtc.fanoutSliceMs });
    this.tick = setInterval(() => this.onTick(), TICK_MS);
    this.remb = setInterval(() => this.everySecond(), REMB_INTERVAL_MS);
  }

  static async start(options: WebrtcNodeOptions): Promise<WebrtcNode> {
    const { webrtc, cluster } = options.config;
    let secret = cluster.secret;
    if (!secret) {
      // Links to other nodes then fail authentication: all-in-one must hand nodes the secret.
      log.warn('cluster.secret is not set: internal links of this node only work with itself');
      secret = randomBytes(32).toString('hex');
    }
    const server = await LinkServer.listen({
      nodeId: options.nodeId,
      secret,
      host: webrtc.linkHost,
      port: webrtc.linkPort,
    });
    return new WebrtcNode(options, server, secret);
  }

  get transportCount(): number {
    return this.transports.size;
  }

  transport(transportId: string): WebrtcTransport | undefined {
    return this.transports.get(transportId);
  }

  /** RPC methods of agents/webrtc/protocol.ts plus the media primitives. */
  handlers(): RpcHandlers {
    const primitives = mediaPrimitiveHandlers(this.router, this.hub);
    return {
      createTransport: (transportId: unknown, spec: unknown) =>
        this.createTransport(parse(idSchema, transportId, 'transportId'), parse(specSchema, spec, 'spec')),
      destroyTransport: (transportId: unknown) =>
        this.destroyTransport(parse(idSchema, transportId, 'transportId')),
      publish: (transportId: unknown, sessionId: unknown, tracks: unknown) =>
        this.publish(
          parse(idSchema, transportId, 'transportId'),
          parse(idSchema, sessionId, 'sessionId'),
          parse(publishTracksSchema, tracks, 'tracks'),
        ),
      unpublish: (transportId: unknown, sessionId: unknown) =>
        this.endSession(parse(idSchema, transportId, 'transportId'), parse(idSchema, sessionId, 'sessionId')),
      subscribe: (transportId: unknown, sessionId: unknown, tracks: unknown) =>
        this.subscribe(
          parse(idSchema, transportId, 'transportId'),
          parse(idSchema, sessionId, 'sessionId'),
          parse(subscribeTracksSchema, tracks, 'tracks'),
        ),
      unsubscribe: (transportId: unknown, sessionId: unknown) =>
        this.endSession(parse(idSchema, transportId, 'transportId'), parse(idSchema, sessionId, 'sessionId')),
      onTransportSignaling: (transportId: unknown, signaling: unknown) =>
        this.requireTransport(parse(idSchema, transportId, 'transportId')).signal(signaling),
      mute: (sessionId: unknown, kind: unknown, muted: unknown) =>
        this.mute(
          parse(idSchema, sessionId, 'sessionId'),
          parse(kindSchema, kind, 'kind'),
          parse(z.boolean(), muted, 'muted'),
        ),
      setLayer: (sessionId: unknown, spec: unknown) =>
        this.setLayer(parse(idSchema, sessionId, 'sessionId'), parse(layerSchema, spec, 'layer')),
      getStats: (transportId: unknown) => this.getStats(parse(idSchema, transportId, 'transportId')),
      [MEDIA_PRIMITIVE_METHODS.publish]: primitives.publish,
      [MEDIA_PRIMITIVE_METHODS.unpublish]: primitives.unpublish,
      [MEDIA_PRIMITIVE_METHODS.subscribe]: primitives.subscribe,
      [MEDIA_PRIMITIVE_METHODS.unsubscribe]: primitives.unsubscribe,
      [MEDIA_PRIMITIVE_METHODS.linkup]: primitives.linkup,
      [MEDIA_PRIMITIVE_METHODS.cutoff]: primitives.cutoff,
      [MEDIA_PRIMITIVE_METHODS.getLinkAddress]: primitives.getLinkAddress,
      getMediaStats: primitives.getMediaStats,
    };
  }

  createTransport(transportId: string, spec: TransportSpec): { transportId: string } {
    if (this.transports.has(transportId)) return { transportId };
    const transport = new WebrtcTransport({
      id: transportId,
      spec,
      config: this.options.config.webrtc,
      codecOf: (streamId, kind) => this.codecOf(streamId, kind),
      onTransportProgress: (progress) => this.reportTransport(spec, transportId, progress),
      onSessionProgress: (sessionId, progress) => this.reportSession(spec, sessionId, progress),
    });
    this.transports.set(transportId, transport);
    log.debug({ transportId, room: spec.room, owner: spec.owner }, 'transport created');
    return { transportId };
  }

  async destroyTransport(transportId: string): Promise<{ ok: true }> {
    const transport = this.transports.get(transportId);
    if (!transport) return { ok: true };
    for (const id of [...transport.publications.keys(), ...transport.subscriptions.keys()]) {
      this.endSession(transportId, id);
    }
    this.transports.delete(transportId);
    await transport.close();
    return { ok: true };
  }

  publish(transportId: string, sessionId: string, tracks: PublishTrack[]): { id: string } {
    const transport = this.requireTransport(transportId);
    this.refuseDuplicate(sessionId);
    const publication = new WebrtcPublication({
      sessionId,
      tracks,
      router: this.router,
      onMediaUpdate: (media) =>
        this.reportSession(transport.spec, sessionId, { type: 'media-update', media }),
    });
    transport.addPublication(publication);
    this.sessionTransport.set(sessionId, transport);
    return { id: sessionId };
  }

  subscribe(transportId: string, sessionId: string, tracks: SubscribeTrack[]): { id: string } {
    const transport = this.requireTransport(transportId);
    this.refuseDuplicate(sessionId);
    const subscription = new WebrtcSubscription(sessionId, tracks, {
      packetizer: this.packetizer,
      pacer: this.pacer,
      outgoingPath: this.options.config.webrtc.outgoingPath,
    });
    this.router.subscribe(sessionId, subscription);
    transport.addSubscription(subscription);
    this.sessionTransport.set(sessionId, transport);
    // Video decides the source (audio of the same stream comes along).
    const lead = tracks.find((t) => t.type === 'video') ?? tracks[0]!;
    // A bitrate without a rid picks a simulcast layer by measured rate (when measured yet).
    const bitrate = lead.parameters?.bitrate;
    const wanted = lead.rid
      ? layerStreamId(lead.from, lead.rid)
      : bitrate !== undefined
        ? this.pickLayer(lead.from, { bitrate })
        : lead.from;
    this.unlinked.set(sessionId, wanted);
    this.linkPending();
    return { id: sessionId };
  }

  endSession(transportId: string, sessionId: string): { ok: true } {
    const transport = this.requireTransport(transportId);
    const isSubscription = transport.subscriptions.has(sessionId);
    transport.removeSession(sessionId);
    if (isSubscription) this.router.unsubscribe(sessionId);
    this.forget(sessionId);
    return { ok: true };
  }

  mute(sessionId: string, kind: MediaKind | 'av', muted: boolean): { ok: true } {
    const transport = this.sessionTransport.get(sessionId);
    const session = transport?.publications.get(sessionId) ?? transport?.subscriptions.get(sessionId);
    if (!session) throw new UnknownSessionError(`session ${sessionId} is not on this node`);
    for (const k of kind === 'av' ? (['audio', 'video'] as const) : [kind]) session.setMuted(k, muted);
    return { ok: true };
  }

  /** Moves a subscription to another simulcast layer of its publication. */
  setLayer(sessionId: string, spec: LayerSpec): { streamId: string } {
    const transport = this.sessionTransport.get(sessionId);
    const subscription = transport?.subscriptions.get(sessionId);
    if (!subscription) throw new UnknownSessionError(`subscription ${sessionId} is not on this node`);
    const lead = subscription.tracks.find((t) => t.type === 'video') ?? subscription.tracks[0]!;
    const target = this.pickLayer(lead.from, spec);
    // The subscription drops video until the new layer's keyframe (linkup asks for one).
    if (this.router.hasStream(target)) {
      this.unlinked.delete(sessionId);
      this.router.linkup(sessionId, target);
    } else {
      this.unlinked.set(sessionId, target);
    }
    return { streamId: target };
  }

  async getStats(transportId: string): Promise<TransportStats> {
    return this.requireTransport(transportId).getStats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    clearInterval(this.remb);
    await Promise.all([...this.transports.keys()].map((id) => this.destroyTransport(id)));
    this.router.close();
    this.hub.close();
    await this.linkServer.close();
  }

  /**
   * The layer stream a subscription should read: the rid asked for; by resolution, the smallest
   * layer at least as large, else the largest; by bitrate, the largest layer whose measured
   * receive rate fits, else the smallest. Without layers (or measurements): the stream itself.
   */
  private pickLayer(from: string, spec: LayerSpec): string {
    if (spec.rid) return layerStreamId(from, spec.rid);
    const publication = this.sessionTransport.get(from)?.publications.get(from);
    const video = publication?.media().tracks.find((t) => t.type === 'video');
    if (!publication || !video?.rids) return from;
    if (spec.resolution) {
      const layers = video.rids
        .map((rid) => ({ rid, size: video.resolutions?.[rid] }))
        .filter((l): l is { rid: string; size: { width: number; height: number } } => l.size !== undefined)
        .sort((a, b) => a.size.width * a.size.height - b.size.width * b.size.height);
      const want = spec.resolution.width * spec.resolution.height;
      const fit = layers.find((l) => l.size.width * l.size.height >= want) ?? layers[layers.length - 1];
      return fit ? layerStreamId(from, fit.rid) : from;
    }
    if (spec.bitrate === undefined) return from;
    const rates = publication.layerBitrates();
    const layers = video.rids
      .flatMap((rid) => {
        const bps = rates.get(rid);
        return bps === undefined ? [] : [{ rid, bps }];
      })
      .sort((a, b) => a.bps - b.bps);
    const top = layers[layers.length - 1];
    if (!top) return from;
    const budget =
      typeof spec.bitrate === 'string' ? top.bps * Number(spec.bitrate.slice(1)) : spec.bitrate * 1000;
    const fit = [...layers].reverse().find((l) => l.bps <= budget) ?? layers[0];
    return fit ? layerStreamId(from, fit.rid) : from;
  }

  private codecOf(streamId: string, kind: MediaKind): string | undefined {
    const publication = this.sessionTransport.get(streamId)?.publications.get(streamId);
    return publication?.media().tracks.find((t) => t.type === kind)?.format.codec;
  }

  private requireTransport(transportId: string): WebrtcTransport {
    const transport = this.transports.get(transportId);
    if (!transport) throw new UnknownSessionError(`transport ${transportId} is not on this node`);
    return transport;
  }

  private refuseDuplicate(sessionId: string): void {
    if (this.sessionTransport.has(sessionId))
      throw new ValidationError(`session ${sessionId} already exists`);
  }

  private forget(sessionId: string): void {
    this.sessionTransport.delete(sessionId);
    this.unlinked.delete(sessionId);
  }

  /** Subscriptions whose stream arrived (local publish attached, or an internal link source). */
  private linkPending(): void {
    for (const [sessionId, streamId] of this.unlinked) {
      if (!this.router.hasStream(streamId)) continue;
      this.unlinked.delete(sessionId);
      try {
        this.router.linkup(sessionId, streamId);
      } catch (err) {
        log.warn({ err, sessionId, streamId }, 'linkup failed');
      }
    }
  }

  private onTick(): void {
    const now = performance.now();
    for (const transport of this.transports.values()) {
      for (const publication of transport.publications.values()) publication.tick(now);
    }
    if (this.unlinked.size > 0) this.linkPending();
  }

  private everySecond(): void {
    this.packetizer.retain((streamId) => this.router.hasStream(streamId));
    const now = performance.now();
    for (const transport of this.transports.values()) {
      for (const subscription of transport.subscriptions.values()) subscription.sendReports(now);
      for (const publication of transport.publications.values()) {
        publication.sendRemb(this.options.config.webrtc.rembBps);
      }
    }
  }

  private reportTransport(spec: TransportSpec, transportId: string, progress: TransportProgress): void {
    this.options.bus.cast(spec.controller, 'onTransportProgress', [spec.room, transportId, progress]);
  }

  private reportSession(spec: TransportSpec, sessionId: string, progress: SessionProgress): void {
    this.options.bus.cast(spec.controller, 'onSessionProgress', [spec.room, sessionId, progress]);
  }
}
