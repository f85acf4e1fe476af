import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createStreamingInSource,
  type StreamingInSource,
  type StreamingInStatus,
} from '../../../agents/streaming/streaming-in-source.js';
import type { MediaSink } from '../../../common/media/media-endpoint.js';
import type { AudioFrame, MediaFrame, VideoFrame } from '../../../common/media/media-frame.js';
import type { MediaRouter } from '../../../common/media/media-router.js';
import { waitUntil } from '../../support/wait-until.js';

/** A sink that keeps every frame a streaming-in source delivers through the router. */
export class CollectingSink implements MediaSink {
  readonly type = 'collect';
  readonly frames: MediaFrame[] = [];
  onLinkup(): void {}
  onCutoff(): void {}
  onFrame(frame: MediaFrame): void {
    this.frames.push(frame);
  }
  close(): void {}
  get video(): VideoFrame[] {
    return this.frames.filter((f): f is VideoFrame => f.kind === 'video');
  }
  get audio(): AudioFrame[] {
    return this.frames.filter((f): f is AudioFrame => f.kind === 'audio');
  }
  get keyframes(): VideoFrame[] {
    return this.video.filter((f) => f.keyframe);
  }
}

/** One streaming-in source published on a router with a collecting sink linked to it. */
export interface Pull {
  source: StreamingInSource;
  sink: CollectingSink;
  statuses: StreamingInStatus[];
  of<S extends StreamingInStatus['status']>(status: S): Array<Extract<StreamingInStatus, { status: S }>>;
  /** Unsubscribes and unpublishes (stops ffmpeg); again is a no-op. */
  close(): void;
}

export function pull(router: MediaRouter, id: string, spec: Record<string, unknown>): Pull {
  const statuses: StreamingInStatus[] = [];
  const source = createStreamingInSource(id, { type: 'streaming-in', ...spec }, (_, s) => statuses.push(s));
  router.publish(id, source);
  const sink = new CollectingSink();
  router.subscribe(`sub-${id}`, sink);
  router.linkup(`sub-${id}`, id);
  let closed = false;
  return {
    source,
    sink,
    statuses,
    of: <S extends StreamingInStatus['status']>(status: S) =>
      statuses.filter((s): s is Extract<StreamingInStatus, { status: S }> => s.status === status),
    close: () => {
      if (closed) return;
      closed = true;
      router.unsubscribe(`sub-${id}`);
      router.unpublish(id);
    },
  };
}

/** waitUntil that names the source's latest statuses when it times out. */
export async function waitForPull(
  p: Pull,
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  try {
    await waitUntil(predicate, timeoutMs, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last statuses: ${JSON.stringify(p.statuses.slice(-4))}`);
  }
}

/** Waits for `keyframes` keyframes and `audioFrames` audio frames. */
export async function waitForMedia(
  p: Pull,
  { keyframes = 2, audioFrames = 20, timeoutMs = 30_000 } = {},
): Promise<void> {
  await waitForPull(p, () => p.sink.keyframes.length >= keyframes, timeoutMs, `${keyframes} keyframes`);
  await waitForPull(p, () => p.sink.audio.length >= audioFrames, 10_000, `${audioFrames} audio frames`);
}

/** Video and audio timestamps never step back by more than 1 s (90 kHz video, clock-rate audio). */
export function assertMonotonic(frames: readonly MediaFrame[], what: string): void {
  for (let i = 1; i < frames.length; i++) {
    const prev = frames[i - 1]!;
    const cur = frames[i]!;
    assert.ok(cur.timestamp > prev.timestamp - prev.clockRate, `${what}: timestamp jumped back at ${i}`);
  }
}

/** Frames per second over the timestamps of `frames` (their own clock). */
export function rateOf(frames: readonly MediaFrame[]): number {
  if (frames.length < 2) return 0;
  const span = (frames.at(-1)!.timestamp - frames[0]!.timestamp) / frames[0]!.clockRate;
  return (frames.length - 1) / span;
}

/**
 * How many of these H.264 frames (Annex-B, from a keyframe on) ffmpeg decodes, the size it sees
 * and how many errors its decoder reports (lost packets show up as corrupt macroblocks): proof
 * the payloads are a whole, decodable bitstream rather than plausible headers.
 */
export function decodeH264(frames: readonly VideoFrame[]): {
  frames: number;
  width: number;
  height: number;
  errors: string[];
} {
  const first = frames.findIndex((f) => f.keyframe);
  assert.ok(first >= 0, 'no keyframe to decode from');
  const stream = Buffer.concat(frames.slice(first).map((f) => f.payload));
  const probe = spawnSync(
    'ffprobe',
    [
      ...['-v', 'error', '-f', 'h264', '-count_frames', '-select_streams', 'v:0'],
      ...['-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', 'pipe:0'],
    ],
    { input: stream, maxBuffer: 1 << 20 },
  );
  assert.equal(probe.status, 0, probe.stderr.toString());
  const s = (JSON.parse(probe.stdout.toString()) as { streams: Array<Record<string, unknown>> }).streams[0]!;
  const decode = spawnSync('ffmpeg', ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'null', '-'], {
    input: stream,
    maxBuffer: 1 << 20,
  });
  const errors = decode.stderr
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '');
  return { frames: Number(s.nb_read_frames), width: Number(s.width), height: Number(s.height), errors };
}
