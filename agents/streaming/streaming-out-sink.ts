import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import type { OutputStatus } from './output-status.js';
import { PipedFfmpegOutput } from './piped-ffmpeg-output.js';
import { type StreamingProtocol, streamingOutPlan } from './streaming-out-plan.js';

/** A media selection: OWT sends `{from, format, parameters}` objects or false; true works too. */
const mediaFlag = z.union([z.boolean(), z.object({}).loose()]).optional();

export const streamingOutSpecSchema = z
  .object({
    type: z.literal('streaming-out'),
    protocol: z.enum(['rtmp', 'rtsp', 'hls', 'dash']),
    url: z.string().min(1).max(2048),
    parameters: z
      .object({
        /** OWT names: hlsTime/dashSegDuration, hlsListSize/dashWindowSize. */
        segmentDuration: z.number().positive().max(60).optional(),
        hlsTime: z.number().positive().max(60).optional(),
        dashSegDuration: z.number().positive().max(60).optional(),
        window: z.number().int().min(0).max(1000).optional(),
        hlsListSize: z.number().int().min(0).max(1000).optional(),
        dashWindowSize: z.number().int().min(0).max(1000).optional(),
        bitrate: z.number().int().positive().optional(),
        keyFrameInterval: z.number().positive().max(60).optional(),
      })
      .loose()
      .default({}),
    media: z.object({ audio: mediaFlag, video: mediaFlag }).loose().default({}),
    retry: z
      .object({
        initialMs: z.number().int().positive().default(500),
        maxMs: z.number().int().positive().default(10_000),
      })
      .optional(),
  })
  .loose();

export type StreamingOutSpec = z.output<typeof streamingOutSpecSchema>;

const URL_PATTERNS: Record<StreamingProtocol, RegExp> = {
  rtmp: /^rtmps?:\/\/[^\s]+$/,
  rtsp: /^rtsps?:\/\/[^\s]+$/,
  hls: /^https?:\/\/[^\s]+$/,
  dash: /^https?:\/\/[^\s]+$/,
};

function checkUrl(protocol: StreamingProtocol, url: string): void {
  // HLS/DASH also write to a local path (a directory a web server serves).
  if ((protocol === 'hls' || protocol === 'dash') && isAbsolute(url) && !url.includes('..')) return;
  if (!URL_PATTERNS[protocol].test(url))
    throw new ValidationError(`sink.url: not a ${protocol} target: ${url}`);
}

export type StatusListener = (id: string, status: OutputStatus) => void;

/** Builds the `streaming-out` sink of a spec (validated here). */
export function createStreamingOutSink(
  subscriptionId: string,
  spec: unknown,
  onStatus: StatusListener,
): PipedFfmpegOutput & MediaSink {
  const parsed = streamingOutSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `sink.${i.path.join('.')}: ${i.message}`);
    throw new ValidationError(`invalid sink: ${details.join('; ')}`, { data: details });
  }
  const s = parsed.data;
  checkUrl(s.protocol, s.url);
  const p = s.parameters;
  const params = {
    segmentDuration: p.segmentDuration ?? p.hlsTime ?? p.dashSegDuration ?? 2,
    window: p.window ?? p.hlsListSize ?? p.dashWindowSize ?? 5,
    videoBitrateKbps: p.bitrate,
    keyFrameInterval: p.keyFrameInterval ?? 2,
  };
  const segmented = s.protocol === 'hls' || s.protocol === 'dash';
  return new PipedFfmpegOutput({
    type: 'streaming-out',
    id: subscriptionId,
    media: { audio: s.media.audio !== false, video: s.media.video !== false },
    plan: (tracks) => streamingOutPlan(s.protocol, s.url, params, tracks),
    retry: { initialMs: s.retry?.initialMs ?? 500, maxMs: s.retry?.maxMs ?? 10_000, jitter: 0.2 },
    // Copying into segments: segments can only start on the source's keyframes.
    keyframeIntervalMs: segmented ? params.segmentDuration * 1000 : undefined,
    stopGraceMs: 3000,
    onStatus: (status) => onStatus(subscriptionId, status),
  });
}
