import { z } from 'zod';
import type { RoomConfig } from './room-config.js';

/**
 * StreamInfo of forward streams as the OWT SDK parses it (owt-compat.md): one track per
 * published m-line, one video track per rid for simulcast, `optional` filled from the room's
 * mediaOut/transcoding settings with all four parameter arrays present (the SDK throws otherwise).
 */

export interface Resolution {
  width: number;
  height: number;
}

export interface TrackFormat {
  codec: string;
  sampleRate?: number;
  channelNum?: number;
  profile?: string;
}

export interface TrackParameters {
  resolution?: Resolution;
  framerate?: number;
  bitrate?: number;
  keyFrameInterval?: number;
}

export interface TrackInfo {
  id: string;
  type: 'audio' | 'video';
  source?: string;
  format: TrackFormat;
  parameters?: TrackParameters;
  status: 'active' | 'inactive';
  mid: string;
  rid?: string;
  optional?: {
    format: TrackFormat[];
    parameters?: {
      resolution: Resolution[];
      framerate: number[];
      bitrate: string[];
      keyFrameInterval: number[];
    };
  };
}

export interface ForwardStreamInfo {
  id: string;
  type: 'forward';
  media: { tracks: TrackInfo[] };
  info: { owner: string; type: 'webrtc' | 'streaming'; inViews: string[]; attributes: unknown };
}

const resolutionSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

/** The webrtc node's report (PublicationMedia of agents/webrtc/protocol.ts), read leniently. */
export const mediaReportSchema = z.object({
  tracks: z.array(
    z.object({
      type: z.enum(['audio', 'video']),
      mid: z.string().min(1),
      format: z.object({
        codec: z.string().min(1),
        sampleRate: z.number().int().positive().optional().catch(undefined),
        channelNum: z.number().int().positive().optional().catch(undefined),
        profile: z.string().optional().catch(undefined),
      }),
      rids: z.array(z.string().min(1)).optional().catch(undefined),
      /** Per rid ('' without simulcast), once a keyframe showed it. */
      resolutions: z.record(z.string(), resolutionSchema).optional().catch(undefined),
      framerate: z.number().positive().optional().catch(undefined),
      /** kbps */
      bitrate: z.number().positive().optional().catch(undefined),
    }),
  ),
});
export type MediaReport = z.output<typeof mediaReportSchema>;

/**
 * A streaming node's `connected` media (`{video?{codec,width,height}, audio?{codec,sampleRate,
 * channels}}`, docs/streaming.md) as a MediaReport of mids '0' (audio) and '1' (video).
 */
export function streamingMediaReport(media: unknown): MediaReport | undefined {
  const parsed = streamingMediaSchema.safeParse(media);
  if (!parsed.success) return undefined;
  const { audio, video } = parsed.data;
  const tracks: MediaReport['tracks'] = [];
  if (audio)
    tracks.push({
      type: 'audio',
      mid: '0',
      format: { codec: audio.codec, sampleRate: audio.sampleRate, channelNum: audio.channels },
    });
  if (video)
    tracks.push({
      type: 'video',
      mid: '1',
      format: { codec: video.codec },
      resolutions: { '': { width: video.width, height: video.height } },
    });
  return { tracks };
}

const streamingMediaSchema = z.object({
  audio: z
    .object({
      codec: z.string().min(1),
      sampleRate: z.number().int().positive(),
      channels: z.number().int().positive(),
    })
    .optional(),
  video: z
    .object({
      codec: z.string().min(1),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
    })
    .optional(),
});

export interface RequestedTrack {
  type: 'audio' | 'video';
  mid: string;
  source?: string;
}

export const trackId = (streamId: string, mid: string, rid?: string): string =>
  rid === undefined ? `${streamId}-${mid}` : `${streamId}-${mid}-${rid}`;

const NAMED_RESOLUTIONS: Record<string, Resolution> = {
  hd1080p: { width: 1920, height: 1080 },
  hd720p: { width: 1280, height: 720 },
  xga: { width: 1024, height: 768 },
  svga: { width: 800, height: 600 },
  vga: { width: 640, height: 480 },
  hvga: { width: 480, height: 320 },
  cif: { width: 352, height: 288 },
  qvga: { width: 320, height: 240 },
  sif: { width: 320, height: 240 },
  qcif: { width: 176, height: 144 },
};

/** 'x3/4' scales the base resolution; names map to their size; unknown → undefined. */
export function resolveResolution(spec: string, base: Resolution): Resolution | undefined {
  const scaled = /^x(\d+)\/(\d+)$/.exec(spec);
  if (scaled) {
    const num = Number(scaled[1]);
    const den = Number(scaled[2]);
    if (den === 0) return undefined;
    // Even sizes: encoders want them.
    const even = (n: number) => Math.max(2, Math.floor((n * num) / den / 2) * 2);
    return { width: even(base.width), height: even(base.height) };
  }
  return NAMED_RESOLUTIONS[spec];
}

const DEFAULT_BASE = { resolution: { width: 640, height: 480 }, framerate: 30 };

const sameAudioFormat = (a: TrackFormat, b: TrackFormat) =>
  a.codec === b.codec && a.sampleRate === b.sampleRate && a.channelNum === b.channelNum;
const sameVideoFormat = (a: TrackFormat, b: TrackFormat) => a.codec === b.codec && a.profile === b.profile;

/** The formats and parameters a subscriber may ask for besides the track's own (OWT `optional`). */
export function optionalOf(
  track: Pick<TrackInfo, 'type' | 'format' | 'parameters'>,
  config: RoomConfig,
): TrackInfo['optional'] {
  const t = config.transcoding;
  if (track.type === 'audio') {
    return { format: t.audio ? config.mediaOut.audio.filter((f) => !sameAudioFormat(f, track.format)) : [] };
  }
  const out = config.mediaOut.video;
  const baseResolution = track.parameters?.resolution ?? DEFAULT_BASE.resolution;
  const baseFramerate = track.parameters?.framerate ?? DEFAULT_BASE.framerate;
  const resolutions: Resolution[] = [];
  if (t.video.parameters.resolution) {
    for (const spec of out.parameters.resolution) {
      const r = resolveResolution(spec, baseResolution);
      if (!r || r.width >= baseResolution.width || r.height >= baseResolution.height) continue;
      if (!resolutions.some((x) => x.width === r.width && x.height === r.height)) resolutions.push(r);
    }
  }
  return {
    format: t.video.format ? out.format.filter((f) => !sameVideoFormat(f, track.format)) : [],
    parameters: {
      resolution: resolutions,
      framerate: t.video.parameters.framerate
        ? out.parameters.framerate.filter((f) => f < baseFramerate)
        : [],
      bitrate: t.video.parameters.bitrate ? [...out.parameters.bitrate] : [],
      keyFrameInterval: t.video.parameters.keyFrameInterval ? [...out.parameters.keyFrameInterval] : [],
    },
  };
}

const UNKNOWN_FORMAT: TrackFormat = { codec: 'unknown' };

/**
 * The tracks of a publication: the requested m-lines, with what the webrtc node saw. A report
 * that is absent leaves formats 'unknown' until a media-update; mids the report lacks are dropped.
 */
export function buildTracks(
  streamId: string,
  requested: readonly RequestedTrack[],
  report: MediaReport | undefined,
  config: RoomConfig,
  status: { audio: 'active' | 'inactive'; video: 'active' | 'inactive' },
): TrackInfo[] {
  const tracks: TrackInfo[] = [];
  for (const req of requested) {
    const seen = report?.tracks.find((t) => t.mid === req.mid && t.type === req.type);
    if (report && !seen) continue;
    const base = {
      type: req.type,
      ...(req.source !== undefined ? { source: req.source } : {}),
      format: seen ? { ...seen.format } : { ...UNKNOWN_FORMAT },
      status: status[req.type],
      mid: req.mid,
    };
    const parametersOf = (rid: string): TrackParameters | undefined => {
      if (req.type !== 'video' || !seen) return undefined;
      const resolution = seen.resolutions?.[rid];
      const p: TrackParameters = {
        ...(resolution ? { resolution: { ...resolution } } : {}),
        ...(seen.framerate !== undefined ? { framerate: seen.framerate } : {}),
        ...(seen.bitrate !== undefined && rid === '' ? { bitrate: seen.bitrate } : {}),
      };
      return Object.keys(p).length > 0 ? p : undefined;
    };
    const rids = req.type === 'video' ? (seen?.rids ?? []) : [];
    if (rids.length === 0) {
      const parameters = parametersOf('');
      const t = { ...base, ...(parameters ? { parameters } : {}) };
      tracks.push({ id: trackId(streamId, req.mid), ...t, optional: optionalOf(t, config) });
      continue;
    }
    for (const rid of rids) {
      const parameters = parametersOf(rid);
      const t = { ...base, ...(parameters ? { parameters } : {}), rid };
      tracks.push({ id: trackId(streamId, req.mid, rid), ...t, optional: optionalOf(t, config) });
    }
  }
  return tracks;
}

/** The room's mediaIn lists the codecs it accepts (OWT checkMediaError); the refusal text, or undefined. */
export function unacceptableFormat(info: ForwardStreamInfo, config: RoomConfig): string | undefined {
  for (const t of info.media.tracks) {
    if (t.format.codec === 'unknown') continue;
    const accepted = t.type === 'audio' ? config.mediaIn.audio : config.mediaIn.video;
    if (!accepted.some((f) => f.codec.toLowerCase() === t.format.codec.toLowerCase()))
      return `${t.type === 'audio' ? 'Audio' : 'Video'} format unacceptable`;
  }
  return undefined;
}
