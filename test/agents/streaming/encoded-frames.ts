import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { MkvFrameExtractor } from '../../../agents/streaming/mkv-frame-extractor.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';

const execFileAsync = promisify(execFile);

export interface EncodeOptions {
  video?: 'vp8' | 'h264' | false;
  audio?: 'opus' | 'aac' | false;
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
}

/** Real encoder output: ffmpeg encodes a test pattern + tone, we extract MediaFrames. */
export function encodeFrames(options: EncodeOptions): MediaFrame[] {
  const { seconds, width = 320, height = 240, fps = 25 } = options;
  const args = ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=${fps}`];
  args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(seconds));
  if (options.video === 'vp8')
    args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', String(fps), '-b:v', '500k');
  else if (options.video === 'h264')
    args.push(
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
      '-g',
      String(fps),
    );
  else args.push('-vn');
  if (options.audio === 'opus') args.push('-c:a', 'libopus', '-ac', '2');
  else if (options.audio === 'aac') args.push('-c:a', 'aac', '-ac', '2');
  else args.push('-an');
  args.push('-f', 'matroska', 'pipe:1');
  const result = spawnSync('ffmpeg', args, { maxBuffer: 64 << 20, timeout: 60_000 });
  if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr?.toString()}`);
  const frames: MediaFrame[] = [];
  new MkvFrameExtractor((f) => frames.push(f)).push(result.stdout);
  return frames;
}

/**
 * Delivers frames at their own pace (timestamps), `speed`× real time, as a live source
 * would; resolves when all are out or `signal` aborts. Bounded by the frames' duration.
 */
export async function pushFrames(
  frames: readonly MediaFrame[],
  deliver: (frame: MediaFrame) => void,
  options: { speed?: number; signal?: AbortSignal; timestampOffset?: { audio: number; video: number } } = {},
): Promise<void> {
  const speed = options.speed ?? 1;
  const start = performance.now();
  const t0 = Math.min(...frames.map((f) => (f.timestamp * 1000) / f.clockRate));
  for (const frame of frames) {
    if (options.signal?.aborted) return;
    const at = ((frame.timestamp * 1000) / frame.clockRate - t0) / speed;
    const wait = at - (performance.now() - start);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const offset = options.timestampOffset?.[frame.kind] ?? 0;
    deliver(offset ? { ...frame, timestamp: frame.timestamp + offset } : frame);
  }
}

export interface ProbeStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  start_time?: string;
  duration?: string;
  nb_read_frames?: string;
}

export interface ProbeResult {
  streams: ProbeStream[];
  format: { duration?: string; format_name?: string };
}

/** ffprobe's view of a file or URL (`count`: decode and count frames). */
export async function probe(
  target: string,
  options: { count?: boolean; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format'];
  if (options.count) args.push('-count_frames');
  args.push(target);
  const { stdout } = await execFileAsync('ffprobe', args, { timeout: options.timeoutMs ?? 20_000 });
  return JSON.parse(stdout) as ProbeResult;
}

export function streamOf(result: ProbeResult, type: 'audio' | 'video'): ProbeStream | undefined {
  return result.streams.find((s) => s.codec_type === type);
}

/** Decodes the whole file with ffmpeg; returns [ok, stderr]. */
export async function decodes(path: string): Promise<{ ok: boolean; stderr: string }> {
  try {
    const { stderr } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], {
      timeout: 30_000,
    });
    return { ok: true, stderr };
  } catch (err) {
    return { ok: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}
