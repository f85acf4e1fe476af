import type { FfmpegPlan } from './ffmpeg-run.js';

export type MediaWant = boolean | 'auto';

export interface StreamingInInput {
  url: string;
  transportProtocol: 'tcp' | 'udp';
  /** Receive buffer (bytes) for UDP-based inputs (RTSP over UDP). */
  bufferSize?: number;
  audio: MediaWant;
  video: MediaWant;
  /** Read files at their native rate, as a live stream. */
  isFile: boolean;
}

/** Video codecs rooms take as they are; others are transcoded to H.264. Audio must be Opus. */
export const COPY_VIDEO = ['h264', 'vp8', 'vp9'];
export const COPY_AUDIO = ['opus'];

/**
 * Smallest UDP receive buffer we let RTSP over UDP use: ffmpeg's own default. OWT's REST
 * default `bufferSize` (8192) holds less than one video keyframe, and the kernel drops what
 * does not fit: keyframes arrive truncated even on loopback. Larger values are honoured.
 */
export const MIN_UDP_BUFFER_BYTES = 384 * 1024;

/** Socket read/write timeout: a silent source is a lost source. */
const IO_TIMEOUT_US = '10000000';

/**
 * ffmpeg arguments to pull `input` and write live Matroska to stdout: the first run copies
 * both kinds; a kind whose codec does not fit is transcoded from the next run on.
 */
export function streamingInPlan(
  input: StreamingInInput,
  transcode: { audio: boolean; video: boolean },
): FfmpegPlan {
  const inputOptions: string[] = [];
  const url = input.url;
  // Files and HLS playlists would be read as fast as possible: pace them like a live source.
  if (input.isFile) inputOptions.push('-re');
  else if (/\.m3u8(\?|$)/.test(url)) inputOptions.push('-re', '-rw_timeout', IO_TIMEOUT_US);
  else if (/^rtsps?:/.test(url)) {
    inputOptions.push('-rtsp_transport', input.transportProtocol, '-timeout', IO_TIMEOUT_US);
    if (input.bufferSize && input.transportProtocol === 'udp')
      inputOptions.push('-buffer_size', String(Math.max(input.bufferSize, MIN_UDP_BUFFER_BYTES)));
  } else {
    inputOptions.push('-rw_timeout', IO_TIMEOUT_US);
  }
  inputOptions.push('-fflags', '+genpts');
  const out: string[] = [];
  if (input.video !== false) {
    out.push('-map', input.video === 'auto' ? '0:v:0?' : '0:v:0');
    if (transcode.video) {
      out.push(
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-tune',
        'zerolatency',
        '-profile:v',
        'baseline',
        '-pix_fmt',
        'yuv420p',
        '-force_key_frames',
        'expr:gte(t,n_forced*2)',
      );
    } else out.push('-c:v', 'copy');
  }
  if (input.audio !== false) {
    out.push('-map', input.audio === 'auto' ? '0:a:0?' : '0:a:0');
    if (transcode.audio) out.push('-c:a', 'libopus', '-ar', '48000', '-ac', '2', '-b:a', '64k');
    else out.push('-c:a', 'copy');
  }
  // Small clusters: frames leave ffmpeg as soon as they are muxed.
  out.push('-cluster_time_limit', '100', '-flush_packets', '1');
  return { input: url, inputOptions, outputOptions: out, format: 'matroska' };
}
