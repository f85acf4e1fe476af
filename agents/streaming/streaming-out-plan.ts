import type { FfmpegPlan } from './ffmpeg-run.js';
import type { FeedTracks } from './mkv-frame-feed.js';
import type { OutputPlan } from './piped-ffmpeg-output.js';

export type StreamingProtocol = 'rtmp' | 'rtsp' | 'hls' | 'dash';

export interface StreamingOutParameters {
  /** HLS/DASH segment length, seconds. */
  segmentDuration: number;
  /** HLS/DASH segments kept in the playlist/manifest (0: all). */
  window: number;
  /** Transcoding only: video bitrate (kbps) and keyframe interval (s). */
  videoBitrateKbps?: number;
  keyFrameInterval: number;
}

/** Codecs each protocol carries as they are; anything else is transcoded to the first one. */
export const PROTOCOL_CODECS: Record<StreamingProtocol, { video: string[]; audio: string[] }> = {
  rtmp: { video: ['h264'], audio: ['aac'] },
  // RTSP (RTP) carries what WebRTC carries.
  rtsp: { video: ['h264', 'vp8', 'vp9'], audio: ['opus', 'aac', 'pcmu', 'pcma'] },
  hls: { video: ['h264'], audio: ['aac'] },
  dash: { video: ['h264'], audio: ['aac'] },
};

const INPUT_OPTIONS = ['-fflags', '+genpts', '-probesize', '1000000', '-analyzeduration', '1000000'];

export function videoEncoderOptions(params: {
  videoBitrateKbps?: number;
  keyFrameInterval: number;
}): string[] {
  const opts = [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-force_key_frames',
    `expr:gte(t,n_forced*${params.keyFrameInterval})`,
  ];
  if (params.videoBitrateKbps) {
    opts.push(
      '-b:v',
      `${params.videoBitrateKbps}k`,
      '-maxrate',
      `${params.videoBitrateKbps}k`,
      '-bufsize',
      `${params.videoBitrateKbps * 2}k`,
    );
  }
  return opts;
}

/** ffmpeg arguments for one streaming-out run: copy what fits the protocol, transcode the rest. */
export function streamingOutPlan(
  protocol: StreamingProtocol,
  url: string,
  params: StreamingOutParameters,
  tracks: FeedTracks,
): OutputPlan {
  const allowed = PROTOCOL_CODECS[protocol];
  const out: string[] = [];
  const transcode = { audio: false, video: false };
  if (tracks.video) {
    out.push('-map', '0:v:0');
    if (allowed.video.includes(tracks.video.codec)) out.push('-c:v', 'copy');
    else {
      transcode.video = true;
      out.push(...videoEncoderOptions(params));
    }
  }
  if (tracks.audio) {
    out.push('-map', '0:a:0');
    if (allowed.audio.includes(tracks.audio.codec)) out.push('-c:a', 'copy');
    else {
      transcode.audio = true;
      out.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000');
    }
  }
  let format: string;
  switch (protocol) {
    case 'rtmp':
      format = 'flv';
      out.push('-flvflags', 'no_duration_filesize');
      break;
    case 'rtsp':
      format = 'rtsp';
      out.push('-rtsp_transport', 'tcp');
      break;
    case 'hls':
      format = 'hls';
      out.push(
        '-hls_time',
        String(params.segmentDuration),
        '-hls_list_size',
        String(params.window),
        '-hls_flags',
        params.window > 0 ? 'delete_segments+independent_segments' : 'independent_segments',
      );
      if (/^https?:/.test(url)) out.push('-method', 'PUT');
      break;
    case 'dash':
      format = 'dash';
      out.push(
        '-seg_duration',
        String(params.segmentDuration),
        '-window_size',
        String(params.window),
        '-use_template',
        '1',
        '-use_timeline',
        '1',
      );
      if (/^https?:/.test(url)) out.push('-method', 'PUT');
      break;
  }
  const plan: FfmpegPlan = {
    inputFormat: 'matroska',
    inputOptions: INPUT_OPTIONS,
    outputOptions: out,
    format,
    target: url,
  };
  return { ffmpeg: plan, transcode };
}
