import { layerStreamId, type SubscribeTrack } from '../agents/webrtc/protocol.js';
import type { VideoParameters } from './request-schemas.js';
import type { SubscribedTrack } from './room-state.js';
import type { ForwardStreamInfo } from './stream-info.js';

/** Simulcast layer choice and subscription parameters, from the source's StreamInfo. */

/** The smallest simulcast layer at least as large as asked, else the largest (by known sizes). */
export function pickLayer(
  info: ForwardStreamInfo | undefined,
  resolution: { width: number; height: number },
): string | undefined {
  const layers = (info?.media.tracks ?? [])
    .flatMap((t) =>
      t.type === 'video' && t.rid !== undefined && t.parameters?.resolution
        ? [{ rid: t.rid, area: t.parameters.resolution.width * t.parameters.resolution.height }]
        : [],
    )
    .sort((a, b) => a.area - b.area);
  const want = resolution.width * resolution.height;
  return (layers.find((l) => l.area >= want) ?? layers[layers.length - 1])?.rid;
}

/** 'x0.5' is relative to the source's video bitrate when known; numbers are kbps. */
export function bitrateKbps(
  info: ForwardStreamInfo | undefined,
  bitrate: string | number | undefined,
): number | undefined {
  if (typeof bitrate === 'number') return bitrate;
  if (typeof bitrate !== 'string') return undefined;
  const factor = Number(bitrate.slice(1));
  const base = info?.media.tracks.find((t) => t.type === 'video')?.parameters?.bitrate;
  return base !== undefined && Number.isFinite(factor) ? Math.round(base * factor) : undefined;
}

/** The source's codec for the answer, unless not known yet. */
export function sourceCodec(
  info: ForwardStreamInfo | undefined,
  type: 'audio' | 'video',
): string | undefined {
  const codec = info?.media.tracks.find((t) => t.type === type)?.format.codec;
  return codec === undefined || codec === 'unknown' ? undefined : codec;
}

/**
 * Router streams a subscription reads on its node (router stream → publication id): the
 * publication, or for a rid video track that simulcast layer's stream.
 */
export function routerStreamsOf(tracks: readonly SubscribedTrack[]): Map<string, string> {
  const streams = new Map<string, string>();
  for (const t of tracks) {
    const routerStream =
      t.type === 'video' && t.rid !== undefined ? layerStreamId(t.streamId, t.rid) : t.streamId;
    streams.set(routerStream, t.streamId);
  }
  return streams;
}

export function toNodeParameters(p: VideoParameters): NonNullable<SubscribeTrack['parameters']> {
  return {
    ...(p.resolution ? { resolution: { width: p.resolution.width, height: p.resolution.height } } : {}),
    ...(p.framerate !== undefined ? { framerate: p.framerate } : {}),
    ...(p.bitrate !== undefined ? { bitrate: p.bitrate } : {}),
    ...(p.keyFrameInterval !== undefined ? { keyFrameInterval: p.keyFrameInterval } : {}),
  };
}
