import type { AudioOutputSpec, MixableAudioCodec } from '../agents/audio/protocol.js';
import type { LayoutSpec, LayoutTemplate, RegionAssignment } from '../agents/video/layout/index.js';
import type { VideoMixerSpec, VideoOutputSpec } from '../agents/video/protocol.js';
import { NotFoundError, ValidationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { MediaSetupError } from './errors.js';
import type { Locality, MediaClient } from './media-client.js';
import {
  buildMixedStreamInfo,
  type MixedStreamInfo,
  mixedStreamId,
  type ViewConfig,
  viewVideoParameters,
} from './mixed-stream-info.js';
import type { MixerClient } from './mixer-client.js';
import type { MediaKind } from './permissions.js';
import type { VideoParameters } from './request-schemas.js';
import type { RoomConfig } from './room-config.js';
import { linkKey } from './room-state.js';
import type { StreamLinks } from './stream-links.js';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What the room controller lends its views. */
export interface ViewHost {
  readonly roomId: string;
  /** This conference node's RPC id: audio nodes report the active speaker to it. */
  readonly selfId: string;
  readonly media: MediaClient;
  readonly mixers: MixerClient;
  readonly links: StreamLinks;
  readonly log: Logger;
  config(): RoomConfig;
  /** A live forward stream: the node holding it, its owner and the kinds it carries. */
  sourceOf(publicationId: string): { nodeId: string; owner: string; kinds: MediaKind[] } | undefined;
  nodeAlive(nodeId: string): boolean;
  markNodeLost(nodeId: string): void;
  /** `stream update` of a mixed stream to the room. */
  announce(streamId: string, field: string, value: unknown): void;
}

/** A view's mixer of one kind on a video or audio node (task = `<mixed stream id>:<kind>`). */
interface MixerSlot {
  taskId: string;
  loc: Locality | undefined;
  ready: Promise<Locality>;
}

interface ViewInput {
  publicationId: string;
  owner: string;
  kinds: MediaKind[];
  /** Internal links bringing the stream to each mixer's node. */
  linkKeys: string[];
}

/** An encoded output of a mixer and the subscriptions/outputs reading it. */
interface ViewOutput {
  routerStream: string;
  kind: MediaKind;
  nodeId: string;
  codec: string;
  users: Set<string>;
  /** Audio: the participant left out (a minus-one mix). */
  exclude?: string;
}

interface View {
  label: string;
  config: ViewConfig;
  streamId: string;
  activeInput: string;
  layout: RegionAssignment[];
  slots: Partial<Record<MediaKind, MixerSlot>>;
  inputs: Map<string, ViewInput>;
  outputs: Map<string, ViewOutput>;
  /** Operations on a view run one after another (mix, unmix, outputs, node loss). */
  queue: Promise<unknown>;
}

/** What a subscriber or an output reads of a mixed stream: a router stream on a mixer's node. */
export interface AcquiredOutput {
  routerStream: string;
  nodeId: string;
  codec: string;
}

const VIDEO_CODECS = new Set(['vp8', 'vp9', 'h264']);
const AUDIO_CODECS = new Set<string>(['opus', 'pcmu', 'pcma', 'aac']);

/** OWT's layout settings of a view as the mixer's layout engine takes them. */
export function layoutSpecOf(view: ViewConfig): LayoutSpec | undefined {
  if (view.video === false) return undefined;
  const { layout } = view.video;
  const custom: LayoutTemplate[] = layout.templates.custom.map((t) => {
    // `primary` names the region that holds the most important input: the engine takes the first.
    const primary = t.primary ? t.region.find((r) => r.id === t.primary) : undefined;
    const regions = primary ? [primary, ...t.region.filter((r) => r !== primary)] : t.region;
    return { region: regions.map((r) => ({ id: r.id, shape: r.shape, area: { ...r.area } })) };
  });
  return {
    base: layout.templates.base,
    ...(custom.length > 0 ? { custom } : {}),
    fitPolicy: layout.fitPolicy,
    maxInput: view.video.maxInput,
    bgColor: { ...view.video.bgColor },
    keepActiveInputPrimary: view.video.keepActiveInputPrimary,
  };
}

const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/**
 * The encoder settings of a video output for a subscriber's parameters: the view's unless asked
 * otherwise; a smaller picture gets a proportionally smaller bitrate, 'xN' multiplies it.
 */
export function videoOutputSpec(
  view: ViewConfig,
  params: VideoParameters | undefined,
  codecWanted?: string,
): VideoOutputSpec {
  const base = viewVideoParameters(view);
  if (!base || view.video === false) throw new ValidationError(`view ${view.label} has no video`);
  const codec = (codecWanted ?? view.video.format.codec).toLowerCase();
  if (!VIDEO_CODECS.has(codec))
    throw new ValidationError(`mixed video codec ${codec} cannot be encoded here`);
  const resolution = params?.resolution
    ? { width: even(params.resolution.width), height: even(params.resolution.height) }
    : base.resolution;
  const area = (resolution.width * resolution.height) / (base.resolution.width * base.resolution.height);
  let bitrate = Math.round(base.bitrate * Math.min(1, area));
  if (typeof params?.bitrate === 'number') bitrate = Math.round(params.bitrate);
  else if (typeof params?.bitrate === 'string')
    bitrate = Math.round(bitrate * Number(params.bitrate.slice(1)));
  return {
    codec: codec as VideoOutputSpec['codec'],
    resolution,
    framerate: params?.framerate !== undefined ? Math.round(params.framerate) : base.framerate,
    bitrate: Math.max(50, bitrate),
    keyFrameInterval: params?.keyFrameInterval ?? base.keyFrameInterval,
  };
}

export function audioOutputSpec(
  view: ViewConfig,
  exclude: string | undefined,
  codecWanted?: string,
): AudioOutputSpec {
  if (view.audio === false) throw new ValidationError(`view ${view.label} has no audio`);
  const codec = (codecWanted ?? view.audio.format.codec).toLowerCase();
  if (!AUDIO_CODECS.has(codec))
    throw new ValidationError(`mixed audio codec ${codec} cannot be encoded here`);
  const defaults =
    codec === 'opus' || codec === 'aac'
      ? { sampleRate: 48_000, channels: 2 }
      : { sampleRate: 8000, channels: 1 };
  const own = codecWanted === undefined;
  return {
    codec: codec as MixableAudioCodec,
    sampleRate: (own ? view.audio.format.sampleRate : undefined) ?? defaults.sampleRate,
    channels: (own ? view.audio.format.channelNum : undefined) ?? defaults.channels,
    ...(exclude !== undefined ? { exclude } : {}),
  };
}

/**
 * A room's views (OWT's MCU): each is a mixed stream, listed from the start, whose mixers (one
 * video node, one audio node) are placed when first needed: a stream mixed into it or a
 * subscriber. Inputs come over internal links from their publishers' nodes; outputs are encoded
 * per distinct setting (codec, size, rate; audio without the subscriber's own voice) and shared.
 */
export class RoomViews {
  private readonly views = new Map<string, View>();

  constructor(private readonly host: ViewHost) {
    for (const config of host.config().views) {
      const streamId = mixedStreamId(host.roomId, config.label);
      this.views.set(config.label, {
        label: config.label,
        config,
        streamId,
        activeInput: 'unknown',
        layout: [],
        slots: {},
        inputs: new Map(),
        outputs: new Map(),
        queue: Promise.resolve(),
      });
    }
  }

  /** Every view's StreamInfo (mixed streams exist as long as the room). */
  streams(): MixedStreamInfo[] {
    return [...this.views.values()].map((v) => this.info(v));
  }

  stream(streamId: string): MixedStreamInfo | undefined {
    const view = this.byStream(streamId);
    return view ? this.info(view) : undefined;
  }

  isMixed(streamId: string): boolean {
    return this.byStream(streamId) !== undefined;
  }

  /** Labels of the views a forward stream is mixed into. */
  inViewsOf(publicationId: string): string[] {
    return [...this.views.values()].filter((v) => v.inputs.has(publicationId)).map((v) => v.label);
  }

  mix(publicationId: string, label: string): Promise<void> {
    const view = this.requireView(label);
    return this.serial(view, async () => {
      if (view.inputs.has(publicationId)) return;
      const source = this.host.sourceOf(publicationId);
      if (!source) throw new NotFoundError(`stream ${publicationId} not found`);
      const kinds = source.kinds.filter((k) => view.config[k] !== false);
      if (kinds.length === 0)
        throw new ValidationError(`view ${label} mixes nothing stream ${publicationId} carries`);
      const input: ViewInput = { publicationId, owner: source.owner, kinds, linkKeys: [] };
      view.inputs.set(publicationId, input);
      try {
        await Promise.all(kinds.map((kind) => this.attach(view, input, kind)));
      } catch (err) {
        view.inputs.delete(publicationId);
        await this.detach(view, input);
        throw new MediaSetupError(`mixing ${publicationId} into ${label} failed: ${errorText(err)}`, {
          cause: err,
        });
      }
      this.host.log.info({ streamId: publicationId, view: label }, 'stream mixed');
    });
  }

  unmix(publicationId: string, label: string): Promise<void> {
    const view = this.requireView(label);
    return this.serial(view, async () => {
      const input = view.inputs.get(publicationId);
      if (!input) return;
      view.inputs.delete(publicationId);
      await this.detach(view, input);
      this.host.log.info({ streamId: publicationId, view: label }, 'stream unmixed');
    });
  }

  /** The publication is gone: out of every view. */
  async onPublicationRemoved(publicationId: string): Promise<void> {
    await Promise.all(
      [...this.views.values()]
        .filter((v) => v.inputs.has(publicationId))
        .map((v) => this.unmix(publicationId, v.label).catch(() => undefined)),
    );
  }

  async getRegion(publicationId: string, label: string): Promise<string> {
    const view = this.requireView(label);
    if (!view.inputs.has(publicationId))
      throw new NotFoundError(`stream ${publicationId} is not in view ${label}`);
    const found = view.layout.find((a) => a.stream === publicationId);
    if (found) return found.region.id;
    const loc = view.slots.video?.loc;
    if (!loc) throw new NotFoundError(`view ${label} has no video region for ${publicationId}`);
    return await this.host.mixers.getRegion(loc.nodeId, view.streamId, publicationId);
  }

  setRegion(publicationId: string, label: string, regionId: string): Promise<void> {
    const view = this.requireView(label);
    return this.serial(view, async () => {
      if (!view.inputs.has(publicationId))
        throw new NotFoundError(`stream ${publicationId} is not in view ${label}`);
      const loc = await this.videoLoc(view);
      this.updateLayout(
        view,
        await this.host.mixers.setRegion(loc.nodeId, view.streamId, publicationId, regionId),
      );
    });
  }

  /** REST `/info/layout` replace: [{stream, region{id…}}]. */
  setLayout(streamId: string, value: unknown): Promise<MixedStreamInfo> {
    const view = this.requireByStream(streamId);
    if (!Array.isArray(value)) throw new ValidationError('layout must be an array of {stream, region}');
    const assignments = value.map((entry, i) => {
      const e = entry as { stream?: unknown; region?: { id?: unknown } };
      if (typeof e?.stream !== 'string' || typeof e.region?.id !== 'string')
        throw new ValidationError(`layout[${i}] must be {stream, region: {id}}`);
      return { stream: e.stream, region: e.region.id };
    });
    return this.serial(view, async () => {
      for (const a of assignments)
        if (!view.inputs.has(a.stream))
          throw new NotFoundError(`stream ${a.stream} is not in view ${view.label}`);
      const loc = await this.videoLoc(view);
      this.updateLayout(view, await this.host.mixers.setLayout(loc.nodeId, view.streamId, assignments));
      return this.info(view);
    });
  }

  /** REST `/info/layout/N/stream` replace: that region shows another input. */
  async setLayoutStream(streamId: string, index: number, publicationId: unknown): Promise<MixedStreamInfo> {
    const view = this.requireByStream(streamId);
    if (typeof publicationId !== 'string') throw new ValidationError('value must be a stream id');
    const region = view.layout[index]?.region.id;
    if (region === undefined) throw new NotFoundError(`view ${view.label} has no region ${index}`);
    await this.setRegion(publicationId, view.label, region);
    return this.info(view);
  }

  /** The audio mixer heard a new active speaker. */
  onActiveInput(mixerId: string, publicationId: string): void {
    const view = this.byStream(mixerId);
    if (!view?.inputs.has(publicationId) || view.activeInput === publicationId) return;
    view.activeInput = publicationId;
    this.host.announce(view.streamId, 'activeInput', publicationId);
    void this.serial(view, async () => {
      const loc = view.slots.video?.loc;
      const input = view.inputs.get(publicationId);
      if (!loc || !input?.kinds.includes('video') || view.activeInput !== publicationId) return;
      this.updateLayout(
        view,
        await this.host.mixers.setActiveInput(loc.nodeId, view.streamId, publicationId),
      );
    }).catch((err: unknown) =>
      this.host.log.warn({ err: errorText(err), view: view.label }, 'active input not applied'),
    );
  }

  /**
   * An encoded output of a mixed stream for `userId` (a subscription or an output): created on
   * first use, shared by everyone asking for the same settings. Audio for a participant with a
   * stream in the view leaves out their own voice; everyone else shares the full mix (one
   * encoder for a whole audience). The room controller moves a participant's subscription when
   * that changes (`audioOutputChanged`).
   */
  acquireOutput(
    streamId: string,
    kind: MediaKind,
    request: { parameters?: VideoParameters; participantId?: string; codec?: string },
    userId: string,
  ): Promise<AcquiredOutput> {
    const view = this.requireByStream(streamId);
    if (view.config[kind] === false)
      throw new NotFoundError(`Target ${kind} stream does NOT exist in ${streamId}`);
    // Checked now: a bad setting fails before anything is placed.
    if (kind === 'video') videoOutputSpec(view.config, request.parameters, request.codec);
    else audioOutputSpec(view.config, undefined, request.codec);
    return this.serial(view, async () => {
      const spec =
        kind === 'video'
          ? videoOutputSpec(view.config, request.parameters, request.codec)
          : audioOutputSpec(view.config, this.excluded(view, request.participantId), request.codec);
      const loc = await this.slot(view, kind);
      const routerStream = await this.host.mixers.generate(loc.nodeId, view.streamId, spec);
      let output = view.outputs.get(routerStream);
      if (!output) {
        output = {
          routerStream,
          kind,
          nodeId: loc.nodeId,
          codec: spec.codec,
          users: new Set(),
          ...('exclude' in spec && spec.exclude !== undefined ? { exclude: spec.exclude } : {}),
        };
        view.outputs.set(routerStream, output);
      }
      output.users.add(userId);
      return { routerStream, nodeId: loc.nodeId, codec: spec.codec };
    });
  }

  /**
   * Whether `participantId`'s audio output of the mixed stream `streamId` would now be another
   * one than `routerStream` (their stream joined or left the view).
   */
  audioOutputChanged(streamId: string, participantId: string, routerStream: string): boolean {
    const view = this.byStream(streamId);
    if (!view) return false;
    const output = view.outputs.get(routerStream);
    if (output?.kind !== 'audio') return false;
    return output.exclude !== this.excluded(view, participantId);
  }

  /**
   * `userId` reads no mixed output any more (or not `only` that one): outputs nobody reads are
   * stopped.
   */
  async releaseOutputs(userId: string, only?: string): Promise<void> {
    const work: Promise<unknown>[] = [];
    for (const view of this.views.values()) {
      for (const output of [...view.outputs.values()]) {
        if (only !== undefined && output.routerStream !== only) continue;
        if (!output.users.delete(userId) || output.users.size > 0) continue;
        work.push(
          this.serial(view, async () => {
            if (output.users.size > 0 || view.outputs.get(output.routerStream) !== output) return;
            view.outputs.delete(output.routerStream);
            if (this.host.nodeAlive(output.nodeId))
              await this.host.mixers.degenerate(output.nodeId, view.streamId, output.routerStream);
          }).catch((err: unknown) =>
            this.host.log.debug({ err: errorText(err) }, 'degenerate failed (ignored)'),
          ),
        );
      }
    }
    await Promise.all(work);
  }

  /**
   * A video or audio node (or its agent) is gone: its mixers are placed anew and the inputs
   * mixed again; the users of its outputs are returned (their subscriptions fail).
   */
  onNodeLost(lost: { nodeId?: string; agentId?: string }): string[] {
    const affected: string[] = [];
    const hit = (loc: Locality | undefined) =>
      loc !== undefined && (loc.nodeId === lost.nodeId || loc.agentId === lost.agentId);
    for (const view of this.views.values()) {
      for (const kind of ['audio', 'video'] as const) {
        const slot = view.slots[kind];
        if (!slot || !hit(slot.loc)) continue;
        const nodeId = slot.loc?.nodeId as string;
        this.host.markNodeLost(nodeId);
        delete view.slots[kind];
        for (const output of [...view.outputs.values()]) {
          if (output.nodeId !== nodeId) continue;
          view.outputs.delete(output.routerStream);
          affected.push(...output.users);
        }
        if (kind === 'video') this.updateLayout(view, []);
        this.host.log.warn({ view: view.label, kind, nodeId }, 'mixer node lost: mixing again elsewhere');
        void this.remixAll(view, kind, nodeId);
      }
    }
    return affected;
  }

  /** The room ends: mixers destroyed, their nodes and tasks released. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.views.values()].map((view) =>
        this.serial(view, async () => {
          const inputs = [...view.inputs.values()];
          view.inputs.clear();
          view.outputs.clear();
          await Promise.all(inputs.map((i) => this.host.links.release(this.linkUser(view), i.linkKeys)));
          await Promise.all(
            (['audio', 'video'] as const).map(async (kind) => {
              const slot = view.slots[kind];
              delete view.slots[kind];
              const loc = await slot?.ready.catch(() => undefined);
              if (!slot || !loc) return;
              const alive = this.host.nodeAlive(loc.nodeId);
              if (alive)
                await this.host.mixers.destroyMixer(loc.nodeId, view.streamId).catch(() => undefined);
              await this.host.media.releaseTask(loc, slot.taskId, alive);
            }),
          );
        }).catch(() => undefined),
      ),
    );
  }

  // ---- internals ----------------------------------------------------------------------------

  private info(view: View): MixedStreamInfo {
    return buildMixedStreamInfo(this.host.roomId, view.config, this.host.config(), {
      activeInput: view.activeInput,
      layout: view.layout,
    });
  }

  private serial<T>(view: View, work: () => Promise<T>): Promise<T> {
    const run = view.queue.then(work, work);
    view.queue = run.catch(() => undefined);
    return run;
  }

  private requireView(label: unknown): View {
    if (typeof label !== 'string') throw new ValidationError('view label must be a string');
    const view = this.views.get(label);
    if (!view) throw new NotFoundError(`view ${label} does not exist`);
    return view;
  }

  private byStream(streamId: string): View | undefined {
    for (const view of this.views.values()) if (view.streamId === streamId) return view;
    return undefined;
  }

  private requireByStream(streamId: string): View {
    const view = this.byStream(streamId);
    if (!view) throw new NotFoundError(`mixed stream ${streamId} not found`);
    return view;
  }

  /** The participant an audio output leaves out: whoever has a stream in the view. */
  private excluded(view: View, participantId: string | undefined): string | undefined {
    if (participantId === undefined) return undefined;
    for (const input of view.inputs.values()) if (input.owner === participantId) return participantId;
    return undefined;
  }

  private linkUser(view: View): string {
    return `mix:${view.streamId}`;
  }

  private async videoLoc(view: View): Promise<Locality> {
    if (view.config.video === false) throw new ValidationError(`view ${view.label} has no video`);
    return await this.slot(view, 'video');
  }

  /** The view's mixer of `kind`, placed and initialised on first use. */
  private slot(view: View, kind: MediaKind): Promise<Locality> {
    const existing = view.slots[kind];
    if (existing) return existing.ready;
    const taskId = `${view.streamId}:${kind}`;
    const slot = { taskId, loc: undefined } as MixerSlot;
    slot.ready = (async () => {
      // Video workers must encode the view's codec (the scheduler matches their capacity).
      const codec =
        kind === 'video' && view.config.video !== false ? view.config.video.format.codec : undefined;
      const loc = await this.host.media.placeTask(
        kind,
        taskId,
        codec ? { video: { encode: [codec.toLowerCase()] } } : {},
      );
      slot.loc = loc;
      if (kind === 'video') {
        const layout = layoutSpecOf(view.config);
        const params = viewVideoParameters(view.config);
        if (!layout || !params) throw new ValidationError(`view ${view.label} has no video`);
        const spec: VideoMixerSpec = { resolution: params.resolution, framerate: params.framerate, layout };
        await this.host.mixers.initVideoMixer(loc.nodeId, view.streamId, spec);
      } else {
        await this.host.mixers.initAudioMixer(loc.nodeId, view.streamId, {
          room: this.host.roomId,
          controller: this.host.selfId,
          vad: view.config.audio !== false && view.config.audio.vad,
        });
      }
      this.host.log.info({ view: view.label, kind, nodeId: loc.nodeId }, 'mixer placed');
      return loc;
    })();
    view.slots[kind] = slot;
    slot.ready.catch(async (err: unknown) => {
      if (view.slots[kind] === slot) delete view.slots[kind];
      this.host.log.warn({ view: view.label, kind, err: errorText(err) }, 'mixer could not be placed');
      if (slot.loc) await this.host.media.releaseTask(slot.loc, taskId, this.host.nodeAlive(slot.loc.nodeId));
    });
    return slot.ready;
  }

  /** Brings the input's stream to the mixer of `kind` and adds it there. */
  private async attach(view: View, input: ViewInput, kind: MediaKind): Promise<void> {
    const loc = await this.slot(view, kind);
    const source = this.host.sourceOf(input.publicationId);
    if (!source) throw new NotFoundError(`stream ${input.publicationId} not found`);
    // A mixer node gets only the kind it mixes.
    const key = await this.host.links.use(
      this.linkUser(view),
      input.publicationId,
      input.publicationId,
      source.nodeId,
      loc.nodeId,
      [kind],
    );
    if (!input.linkKeys.includes(key)) input.linkKeys.push(key);
    if (kind === 'video') {
      this.updateLayout(
        view,
        await this.host.mixers.addVideoInput(loc.nodeId, view.streamId, input.publicationId),
      );
    } else {
      await this.host.mixers.addAudioInput(loc.nodeId, view.streamId, input.publicationId, input.owner);
    }
  }

  /** Takes the input out of the view's mixers and lets go of its links (best effort). */
  private async detach(view: View, input: ViewInput): Promise<void> {
    await Promise.all(
      input.kinds.map(async (kind) => {
        const loc = view.slots[kind]?.loc;
        if (!loc || !this.host.nodeAlive(loc.nodeId)) return;
        try {
          const result = await this.host.mixers.removeInput(loc.nodeId, view.streamId, input.publicationId);
          if (kind === 'video' && result?.layout) this.updateLayout(view, result.layout);
        } catch (err) {
          this.host.log.debug(
            { err: errorText(err), view: view.label, kind },
            'removeInput failed (ignored)',
          );
        }
      }),
    );
    await this.host.links.release(this.linkUser(view), input.linkKeys.splice(0));
    if (view.activeInput === input.publicationId) {
      view.activeInput = 'unknown';
      this.host.announce(view.streamId, 'activeInput', 'unknown');
    }
  }

  /** After a mixer node died: the inputs of that kind go to the new mixer. */
  private async remixAll(view: View, kind: MediaKind, lostNode: string): Promise<void> {
    await this.serial(view, async () => {
      for (const input of view.inputs.values()) {
        if (!input.kinds.includes(kind)) continue;
        // The link to the dead node is gone with it.
        const stale = input.linkKeys.filter((k) => k === linkKey(input.publicationId, lostNode));
        input.linkKeys = input.linkKeys.filter((k) => !stale.includes(k));
        await this.host.links.release(this.linkUser(view), stale);
        try {
          await this.attach(view, input, kind);
        } catch (err) {
          this.host.log.warn(
            { err: errorText(err), view: view.label, streamId: input.publicationId },
            'input not mixed again',
          );
        }
      }
    });
  }

  private updateLayout(view: View, layout: RegionAssignment[]): void {
    if (JSON.stringify(layout) === JSON.stringify(view.layout)) return;
    view.layout = layout;
    this.host.announce(view.streamId, 'video.layout', layout);
  }
}
