import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { layerStreamId } from '../agents/webrtc/protocol.js';
import { NotFoundError, NotImplementedError, ValidationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import {
  createRecordingBody,
  createStreamingOutBody,
  outputPatchBody,
} from '../management-api/request-schemas.js';
import { validate } from '../management-api/validate.js';
import { MediaSetupError } from './errors.js';
import type { Locality, MediaClient } from './media-client.js';
import type { MediaKind } from './permissions.js';
import { OUTPUT_FINISH_TIMEOUT_MS } from './protocol.js';
import type { AcquiredOutput } from './room-views.js';
import type { ForwardStreamInfo } from './stream-info.js';
import type { StreamLinks } from './stream-links.js';

export type OutputKind = 'streaming-out' | 'recording';
type StreamingOutRequest = z.output<typeof createStreamingOutBody>;
type RecordingRequest = z.output<typeof createRecordingBody>;
type OutMedia = StreamingOutRequest['media'];

/** What the room controller lends the outputs: source lookup, links, the media client. */
export interface OutputHost {
  readonly media: MediaClient;
  readonly links: StreamLinks;
  readonly log: Logger;
  /** A stream id or track id (simulcast rid) → its publication; throws NotFoundError. */
  resolveSource(from: string, kind: MediaKind): { streamId: string; rid?: string };
  /** The node holding a live publication's router stream, and its StreamInfo. */
  sourceOf(publicationId: string): { nodeId: string; info: ForwardStreamInfo } | undefined;
  nodeAlive(nodeId: string): boolean;
  markNodeLost(nodeId: string): void;
  /** Mixed streams (the room's views): their StreamInfo, and encoded outputs of them. */
  mixedInfo(
    streamId: string,
  ): { media: { tracks: { type: MediaKind; format: { codec: string } }[] } } | undefined;
  acquireMixed(
    streamId: string,
    kind: MediaKind,
    codec: string | undefined,
    userId: string,
  ): Promise<AcquiredOutput>;
  releaseMixed(userId: string): Promise<void>;
}

/** The codecs a CDN protocol carries, asked of the mixers so that FFmpeg only copies. */
const STREAMING_CODECS: Record<MediaKind, string> = { audio: 'aac', video: 'h264' };

interface Output {
  id: string;
  kind: OutputKind;
  request: StreamingOutRequest | RecordingRequest;
  media: OutMedia;
  /** The publication feeding the sink and the router stream linked to it (a layer for rids). */
  publicationId: string;
  routerStream: string;
  loc: Locality | undefined;
  linkKey: string | undefined;
  /** `ready` seen from the node (ffmpeg up): OWT has no status field, we add one. */
  status: 'starting' | 'active';
  /** Recording: the container chosen (auto resolved from the source's codecs when known). */
  container?: string;
  /** A mixed source: the mixers' outputs it reads, their links, and the merge joining them. */
  mixed?: { outputs: AcquiredOutput[]; linkKeys: string[]; mergeId: string | undefined };
}

const UNSUBSCRIBE_TIMEOUT_MS = OUTPUT_FINISH_TIMEOUT_MS;
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

const AUTO_MP4 = ['h264', 'aac'];
const AUTO_WEBM = ['vp8', 'vp9', 'av1', 'opus'];
const EXTENSIONS: Record<string, string> = { mp4: 'mp4', mkv: 'mkv', webm: 'webm', ts: 'ts' };

/** `auto` as the recording node decides it, when the source's codecs are known (else left to the node). */
function resolveContainer(
  container: string,
  info: { media: { tracks: { type: MediaKind; format: { codec: string } }[] } },
  media: OutMedia,
): string {
  if (container !== 'auto') return container;
  const codecs = info.media.tracks
    .filter((t) => (t.type === 'audio' ? media.audio !== false : media.video !== false))
    .map((t) => t.format.codec.toLowerCase());
  if (codecs.length === 0 || codecs.includes('unknown')) return 'auto';
  if (codecs.every((c) => AUTO_MP4.includes(c))) return 'mp4';
  if (codecs.every((c) => AUTO_WEBM.includes(c))) return 'webm';
  return 'mkv';
}

/** OWT streaming-out `parameters` the sink understands (numbers only). */
function sinkParameters(request: StreamingOutRequest): Record<string, number> {
  const known = ['segmentDuration', 'hlsTime', 'dashSegDuration', 'window', 'hlsListSize', 'dashWindowSize'];
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(request.parameters ?? {})) {
    if (known.includes(key) && typeof value === 'number') out[key] = value;
  }
  const video = request.media.video;
  if (video !== false) {
    const bitrate = video.parameters?.bitrate;
    if (typeof bitrate === 'number') out.bitrate = Math.round(bitrate);
    if (video.parameters?.keyFrameInterval !== undefined)
      out.keyFrameInterval = video.parameters.keyFrameInterval;
  }
  return out;
}

/**
 * A room's streaming-outs and recordings: each is one sink on a `streaming` or `recording` node
 * (task = output id), fed over an internal link from the node holding its source stream. The
 * sink carries one router stream, so audio and video come from the same publication.
 */
export class RoomOutputs {
  private readonly outputs = new Map<string, Output>();

  constructor(private readonly host: OutputHost) {}

  get size(): number {
    return this.outputs.size;
  }

  list(kind: OutputKind): unknown[] {
    return [...this.outputs.values()].filter((o) => o.kind === kind).map((o) => this.view(o));
  }

  has(id: string): boolean {
    return this.outputs.has(id);
  }

  async add(kind: OutputKind, body: unknown): Promise<unknown> {
    const request =
      kind === 'streaming-out'
        ? validate(createStreamingOutBody, body, 'streaming-out')
        : validate(createRecordingBody, body, 'recording');
    const { media } = request;
    const source = this.pickSource(media);
    const id = randomBytes(8).toString('hex');
    const mixedInfo = this.host.mixedInfo(source.streamId);
    const src = mixedInfo ? { info: mixedInfo } : this.host.sourceOf(source.streamId);
    if (!src) throw new NotFoundError(`stream ${source.streamId} not found`);
    const output: Output = {
      id,
      kind,
      request,
      media,
      publicationId: source.streamId,
      routerStream: source.rid !== undefined ? layerStreamId(source.streamId, source.rid) : source.streamId,
      loc: undefined,
      linkKey: undefined,
      status: 'starting',
    };
    if ('container' in request) output.container = resolveContainer(request.container, src.info, media);
    this.outputs.set(id, output);
    try {
      output.loc = await this.host.media.placeTask(kind === 'streaming-out' ? 'streaming' : 'recording', id);
      this.requireStillThere(output);
      await this.host.media.subscribeSink(output.loc.nodeId, id, this.sinkSpec(output));
      this.requireStillThere(output);
      if (mixedInfo) await this.connectMixed(output);
      else await this.connect(output, output.routerStream, output.publicationId);
    } catch (err) {
      void this.remove(id).catch(() => undefined);
      if (err instanceof NotFoundError) throw err;
      throw new MediaSetupError(`${kind} could not be set up: ${errorText(err)}`, { cause: err });
    }
    this.host.log.info(
      { id, kind, streamId: output.routerStream, nodeId: output.loc.nodeId },
      'output started',
    );
    return this.view(output);
  }

  /** OWT PATCH: `replace /media/audio|video/from` switches the sink's source without restarting it. */
  async update(kind: OutputKind, id: string, patches: unknown): Promise<unknown> {
    const output = this.require(kind, id);
    const list = validate(outputPatchBody, patches, 'patches');
    let from: { kind: MediaKind; value: string } | undefined;
    for (const patch of list) {
      const m = /^\/(?:output\/)?media\/(audio|video)\/from$/.exec(patch.path);
      if (!m) throw new NotImplementedError(`${patch.path}: only the source (…/from) can be changed here`);
      if (typeof patch.value !== 'string' || patch.value === '')
        throw new ValidationError(`${patch.path} needs a stream id`);
      const patchKind = m[1] as MediaKind;
      if (output.media[patchKind] === false) throw new ValidationError(`${kind} ${id} has no ${patchKind}`);
      if (from && from.value !== patch.value)
        throw new NotImplementedError('audio and video from different streams are not supported');
      from = { kind: patchKind, value: patch.value };
    }
    if (!from) return this.view(output);
    const source = this.host.resolveSource(from.value, from.kind);
    if (output.mixed || this.host.mixedInfo(source.streamId))
      throw new NotImplementedError('switching an output to or from a mixed stream is not supported yet');
    const routerStream =
      source.rid !== undefined ? layerStreamId(source.streamId, source.rid) : source.streamId;
    if (routerStream !== output.routerStream) {
      const previousKey = output.linkKey;
      await this.connect(output, routerStream, source.streamId);
      if (previousKey !== undefined && previousKey !== output.linkKey)
        await this.host.links.release(id, [previousKey]);
      output.routerStream = routerStream;
      output.publicationId = source.streamId;
    }
    for (const k of ['audio', 'video'] as const) {
      const m = output.media[k];
      if (m !== false) output.media = { ...output.media, [k]: { ...m, from: from.value } };
    }
    this.host.log.info({ id, kind, streamId: routerStream }, 'output source switched');
    return this.view(output);
  }

  async remove(id: string): Promise<void> {
    const output = this.outputs.get(id);
    if (!output) return;
    this.outputs.delete(id);
    const { loc } = output;
    const work: Promise<unknown>[] = [];
    if (output.linkKey !== undefined) work.push(this.host.links.release(id, [output.linkKey]));
    if (loc && this.host.nodeAlive(loc.nodeId)) {
      // Waits for ffmpeg to finish the file/stream before the node is recycled.
      await this.host.media
        .unsubscribeSink(loc.nodeId, id, UNSUBSCRIBE_TIMEOUT_MS)
        .catch((err: unknown) =>
          this.host.log.debug({ id, err: errorText(err) }, 'unsubscribe failed (ignored)'),
        );
    }
    const mixed = output.mixed;
    if (mixed) {
      if (mixed.mergeId && loc && this.host.nodeAlive(loc.nodeId))
        await this.host.media.unpublishSource(loc.nodeId, mixed.mergeId).catch(() => undefined);
      work.push(this.host.links.release(id, mixed.linkKeys), this.host.releaseMixed(id));
    }
    if (loc) work.push(this.host.media.releaseTask(loc, id, this.host.nodeAlive(loc.nodeId)));
    await Promise.all(work);
    this.host.log.info({ id, kind: output.kind }, 'output removed');
  }

  async removeOf(kind: OutputKind, id: string): Promise<void> {
    this.require(kind, id);
    await this.remove(id);
  }

  /** Progress from the sink's node; false when `id` is not an output. */
  onProgress(id: string, progress: { type: string; reason?: string }): boolean {
    const output = this.outputs.get(id);
    if (!output) return false;
    if (progress.type === 'ready') output.status = 'active';
    if (progress.type === 'failed') {
      this.host.log.warn({ id, kind: output.kind, reason: progress.reason }, 'output failed: removed');
      void this.remove(id);
    }
    return true;
  }

  /** Their source stream is gone: the outputs it fed end (OWT does the same). */
  async onPublicationRemoved(publicationId: string): Promise<void> {
    const doomed = [...this.outputs.values()].filter((o) => o.publicationId === publicationId);
    await Promise.all(doomed.map((o) => this.remove(o.id)));
  }

  /** A streaming/recording node or agent is gone: its outputs are removed (no calls to it). */
  async onNodeLost(lost: { nodeId?: string; agentId?: string }): Promise<void> {
    const doomed = [...this.outputs.values()].filter(
      (o) => o.loc && (o.loc.nodeId === lost.nodeId || o.loc.agentId === lost.agentId),
    );
    for (const o of doomed) if (o.loc) this.host.markNodeLost(o.loc.nodeId);
    if (doomed.length > 0)
      this.host.log.warn({ ...lost, outputs: doomed.map((o) => o.id) }, 'output node lost');
    await Promise.all(doomed.map((o) => this.remove(o.id)));
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.outputs.keys()].map((id) => this.remove(id)));
  }

  /**
   * A mixed source: the view's mixers encode outputs for this sink (H.264 + AAC for CDNs, the
   * view's formats for recordings), links bring them to the sink's node, and a merge stream
   * there joins audio and video when both are wanted.
   */
  private async connectMixed(output: Output): Promise<void> {
    const loc = output.loc;
    if (!loc) throw new MediaSetupError('output has no node');
    const mixed: NonNullable<Output['mixed']> = { outputs: [], linkKeys: [], mergeId: undefined };
    output.mixed = mixed;
    const kinds = (['audio', 'video'] as const).filter((k) => output.media[k] !== false);
    const streaming = output.kind === 'streaming-out';
    for (const kind of kinds) {
      const acquired = await this.host.acquireMixed(
        output.publicationId,
        kind,
        streaming ? STREAMING_CODECS[kind] : undefined,
        output.id,
      );
      mixed.outputs.push(acquired);
      this.requireStillThere(output);
      mixed.linkKeys.push(
        await this.host.links.use(
          output.id,
          acquired.routerStream,
          output.publicationId,
          acquired.nodeId,
          loc.nodeId,
        ),
      );
      this.requireStillThere(output);
    }
    let stream = mixed.outputs[0]?.routerStream;
    if (mixed.outputs.length === 2) {
      const [audio, video] = mixed.outputs as [AcquiredOutput, AcquiredOutput];
      mixed.mergeId = `merge:${output.id}`;
      await this.host.media.publishLocal(loc.nodeId, mixed.mergeId, {
        type: 'merge',
        audio: audio.routerStream,
        video: video.routerStream,
      });
      stream = mixed.mergeId;
    }
    if (!stream) throw new ValidationError('media: nothing to output');
    output.routerStream = stream;
    await this.host.media.linkup(loc.nodeId, output.id, stream);
  }

  private pickSource(media: OutMedia): { streamId: string; rid?: string } {
    if (media.audio === false && media.video === false) throw new ValidationError('media: nothing to output');
    const video = media.video !== false ? this.host.resolveSource(media.video.from, 'video') : undefined;
    const audio = media.audio !== false ? this.host.resolveSource(media.audio.from, 'audio') : undefined;
    if (audio && video && audio.streamId !== video.streamId)
      throw new NotImplementedError('audio and video from different streams are not supported');
    return (video ?? audio) as { streamId: string; rid?: string };
  }

  /** Brings `routerStream` to the output's node (unless it is there) and links it to the sink. */
  private async connect(output: Output, routerStream: string, publicationId: string): Promise<void> {
    const loc = output.loc;
    if (!loc) throw new MediaSetupError('output has no node');
    const src = this.host.sourceOf(publicationId);
    if (!src) throw new NotFoundError(`stream ${publicationId} not found`);
    let key: string | undefined;
    if (src.nodeId !== loc.nodeId) {
      key = await this.host.links.use(output.id, routerStream, publicationId, src.nodeId, loc.nodeId);
      if (this.outputs.get(output.id) !== output) {
        await this.host.links.release(output.id, [key]);
        throw new NotFoundError(`${output.kind} ${output.id} was removed`);
      }
    }
    output.linkKey = key;
    await this.host.media.linkup(loc.nodeId, output.id, routerStream);
  }

  private sinkSpec(output: Output): Record<string, unknown> {
    const media = { audio: output.media.audio !== false, video: output.media.video !== false };
    const r = output.request;
    if ('protocol' in r)
      return {
        type: 'streaming-out',
        protocol: r.protocol,
        url: r.url,
        parameters: sinkParameters(r),
        media,
      };
    return { type: 'recording', container: output.container ?? 'auto', media };
  }

  private require(kind: OutputKind, id: string): Output {
    const output = this.outputs.get(id);
    if (!output || output.kind !== kind) throw new NotFoundError(`${kind} ${id} not found`);
    return output;
  }

  private requireStillThere(output: Output): void {
    if (this.outputs.get(output.id) !== output)
      throw new NotFoundError(`${output.kind} ${output.id} was removed`);
  }

  /** OWT's shapes: streaming-out `{id, protocol, url, parameters, media}`, recording `{id, storage, media}`. */
  private view(o: Output): unknown {
    const r = o.request;
    const common = { id: o.id, media: o.media, status: o.status };
    if ('protocol' in r)
      return { ...common, protocol: r.protocol, url: r.url, parameters: r.parameters ?? {} };
    const ext = o.container ? EXTENSIONS[o.container] : undefined;
    return {
      ...common,
      storage: { host: o.loc?.nodeId ?? '', file: ext ? `${o.id}.${ext}` : o.id },
      container: o.container ?? r.container,
    };
  }
}
