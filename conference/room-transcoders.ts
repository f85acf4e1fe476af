import { randomBytes } from 'node:crypto';
import type { VideoOutputSpec } from '../agents/video/protocol.js';
import { NotFoundError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { MediaSetupError } from './errors.js';
import type { Locality, MediaClient } from './media-client.js';
import { defaultViewBitrate } from './mixed-stream-info.js';
import type { MixerClient } from './mixer-client.js';
import type { VideoParameters } from './request-schemas.js';
import type { RoomConfig } from './room-config.js';
import type { AcquiredOutput } from './room-views.js';
import type { TrackInfo } from './stream-info.js';
import type { StreamLinks } from './stream-links.js';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const ENCODABLE = new Set(['vp8', 'vp9', 'h264']);
const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);

/**
 * The transcoder settings a subscription of a forward video track needs, or undefined when the
 * track can be forwarded as it is: a resolution other than the track's (after simulcast layer
 * choice), a lower framerate, or a bitrate multiplier below 1 — each only when the room's
 * `transcoding` settings allow it. The output keeps the source's codec when it can be encoded.
 */
export function transcodeSpecFor(
  track: TrackInfo | undefined,
  params: VideoParameters | undefined,
  config: RoomConfig,
): VideoOutputSpec | undefined {
  if (!track || !params) return undefined;
  const allowed = config.transcoding.video.parameters;
  const source = track.parameters ?? {};
  const resolution =
    allowed.resolution && params.resolution
      ? { width: even(params.resolution.width), height: even(params.resolution.height) }
      : undefined;
  // A simulcast layer of unknown size was picked for the asked size: forward it. A single
  // stream of unknown size is transcoded (the subscriber asked for a size explicitly).
  const resize =
    resolution !== undefined &&
    (source.resolution === undefined
      ? track.rid === undefined
      : source.resolution.width !== resolution.width || source.resolution.height !== resolution.height);
  const slower =
    allowed.framerate &&
    params.framerate !== undefined &&
    (source.framerate === undefined || params.framerate < source.framerate);
  const multiplier = typeof params.bitrate === 'string' ? Number(params.bitrate.slice(1)) : undefined;
  // A simulcast layer gets thinner by choosing a lower layer (the node does), not a transcoder.
  const thinner = allowed.bitrate && multiplier !== undefined && multiplier < 1 && track.rid === undefined;
  if (!resize && !slower && !thinner) return undefined;
  const size = resolution ?? source.resolution ?? { width: 640, height: 480 };
  const framerate = Math.round(slower ? (params.framerate as number) : (source.framerate ?? 30));
  const codec = track.format.codec.toLowerCase();
  let bitrate = source.bitrate ?? defaultViewBitrate(size, framerate, 1);
  if (source.bitrate !== undefined && source.resolution) {
    const area = (size.width * size.height) / (source.resolution.width * source.resolution.height);
    bitrate = Math.round(bitrate * Math.min(1, area));
  }
  if (typeof params.bitrate === 'number') bitrate = params.bitrate;
  else if (multiplier !== undefined) bitrate = Math.round(bitrate * multiplier);
  return {
    codec: (ENCODABLE.has(codec) ? codec : 'vp8') as VideoOutputSpec['codec'],
    resolution: size,
    framerate,
    bitrate: Math.max(50, Math.round(bitrate)),
    keyFrameInterval: params.keyFrameInterval ?? 100,
  };
}

export interface TranscodeHost {
  readonly media: MediaClient;
  readonly mixers: MixerClient;
  readonly links: StreamLinks;
  readonly log: Logger;
  /** The node holding a live publication's router streams. */
  sourceNodeOf(publicationId: string): string | undefined;
  nodeAlive(nodeId: string): boolean;
  markNodeLost(nodeId: string): void;
}

interface Transcoder {
  id: string;
  key: string;
  publicationId: string;
  input: string;
  spec: VideoOutputSpec;
  loc: Locality | undefined;
  linkKey: string | undefined;
  ready: Promise<Locality>;
  users: Set<string>;
}

/**
 * A room's video transcoders (video nodes, task = transcoder id): one per source router stream
 * and setting, shared by the subscriptions asking for the same; stopped with the last of them.
 */
export class RoomTranscoders {
  private readonly byKey = new Map<string, Transcoder>();

  constructor(private readonly host: TranscodeHost) {}

  async acquire(
    publicationId: string,
    input: string,
    spec: VideoOutputSpec,
    userId: string,
    sourceCodec?: string,
  ): Promise<AcquiredOutput> {
    const key = `${input}|${JSON.stringify(spec)}`;
    let transcoder = this.byKey.get(key);
    if (!transcoder) {
      const id = `tx-${randomBytes(6).toString('hex')}`;
      const fresh = {
        id,
        key,
        publicationId,
        input,
        spec,
        loc: undefined,
        linkKey: undefined,
        users: new Set<string>(),
      } as Transcoder;
      // Set right below: the setup refers to the record it fills in.
      fresh.ready = (async () => {
        const loc = await this.host.media.placeTask('video', id, {
          video: { encode: [spec.codec], ...(sourceCodec ? { decode: [sourceCodec.toLowerCase()] } : {}) },
        });
        fresh.loc = loc;
        const sourceNode = this.host.sourceNodeOf(publicationId);
        if (!sourceNode) throw new NotFoundError(`stream ${publicationId} not found`);
        fresh.linkKey = await this.host.links.use(
          this.linkUser(fresh),
          input,
          publicationId,
          sourceNode,
          loc.nodeId,
          ['video'],
        );
        await this.host.mixers.transcode(loc.nodeId, id, input, spec);
        this.host.log.info({ transcoderId: id, input, spec, nodeId: loc.nodeId }, 'transcoder started');
        return loc;
      })();
      fresh.ready.catch(() => undefined);
      this.byKey.set(key, fresh);
      transcoder = fresh;
    }
    transcoder.users.add(userId);
    try {
      const loc = await transcoder.ready;
      return { routerStream: transcoder.id, nodeId: loc.nodeId, codec: spec.codec };
    } catch (err) {
      void this.tearDown(transcoder);
      throw new MediaSetupError(`transcoding ${input} failed: ${errorText(err)}`, { cause: err });
    }
  }

  /** `userId` reads no transcoder any more (or not `only` that one); unread ones stop. */
  async release(userId: string, only?: string): Promise<void> {
    const work: Promise<void>[] = [];
    for (const t of [...this.byKey.values()]) {
      if (only !== undefined && t.id !== only) continue;
      if (t.users.delete(userId) && t.users.size === 0) work.push(this.tearDown(t));
    }
    await Promise.all(work);
  }

  async onPublicationRemoved(publicationId: string): Promise<void> {
    await Promise.all(
      [...this.byKey.values()].filter((t) => t.publicationId === publicationId).map((t) => this.tearDown(t)),
    );
  }

  /** Transcoders on a lost node are gone; their users are returned (their subscriptions fail). */
  onNodeLost(lost: { nodeId?: string; agentId?: string }): string[] {
    const affected: string[] = [];
    for (const t of [...this.byKey.values()]) {
      if (!t.loc || (t.loc.nodeId !== lost.nodeId && t.loc.agentId !== lost.agentId)) continue;
      this.host.markNodeLost(t.loc.nodeId);
      affected.push(...t.users);
      void this.tearDown(t);
    }
    return affected;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byKey.values()].map((t) => this.tearDown(t)));
  }

  private linkUser(t: Transcoder): string {
    return `transcode:${t.id}`;
  }

  private async tearDown(t: Transcoder): Promise<void> {
    if (this.byKey.get(t.key) !== t) return;
    this.byKey.delete(t.key);
    const loc = await t.ready.catch(() => t.loc);
    const alive = loc !== undefined && this.host.nodeAlive(loc.nodeId);
    if (loc && alive)
      await this.host.mixers
        .stopTranscode(loc.nodeId, t.id)
        .catch((err: unknown) =>
          this.host.log.debug({ err: errorText(err) }, 'stopTranscode failed (ignored)'),
        );
    if (t.linkKey) await this.host.links.release(this.linkUser(t), [t.linkKey]);
    if (loc) await this.host.media.releaseTask(loc, t.id, alive);
    this.host.log.debug({ transcoderId: t.id }, 'transcoder stopped');
  }
}
