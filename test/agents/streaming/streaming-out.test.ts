import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OutputStatus } from '../../../agents/streaming/output-status.js';
import type { PipedFfmpegOutput } from '../../../agents/streaming/piped-ffmpeg-output.js';
import { createStreamingOutSink } from '../../../agents/streaming/streaming-out-sink.js';
import { FrameGeneratorSource } from '../../../common/media/frame-generator-source.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { freePort, type NginxRtmp, startNginxRtmp } from '../../support/nginx-rtmp.js';
import { waitUntil } from '../../support/wait-until.js';
import { encodeFrames, probe, pushFrames, streamOf } from './encoded-frames.js';

/** A published stream fed with real encoded frames: `play` pushes them at real-time pace. */
class ReplaySource extends FrameGeneratorSource {
  override readonly type = 'generator';
  deliverFrame: ((frame: MediaFrame) => void) | undefined;
  override start(deliver: (frame: MediaFrame) => void): void {
    this.deliverFrame = deliver;
  }
  play(frames: readonly MediaFrame[], options: { speed?: number; signal?: AbortSignal } = {}): Promise<void> {
    return pushFrames(frames, (f) => this.deliverFrame?.(f), options);
  }
}

/** `frames` played `times` times back to back, timestamps continuing. */
function repeatFrames(frames: readonly MediaFrame[], times: number): MediaFrame[] {
  const out: MediaFrame[] = [];
  const spanMs = 4000;
  for (let i = 0; i < times; i++) {
    for (const f of frames) out.push({ ...f, timestamp: f.timestamp + (i * spanMs * f.clockRate) / 1000 });
  }
  return out;
}

describe('streaming-out to a real nginx-rtmp', () => {
  let nginx: NginxRtmp;
  const router = new MediaRouter();
  const statuses: Array<[string, OutputStatus]> = [];
  const onStatus = (id: string, s: OutputStatus) => statuses.push([id, s]);
  const work = mkdtempSync(join(tmpdir(), 'ms-streaming-out-'));
  let vp8Opus: MediaFrame[] = [];
  let h264Aac: MediaFrame[] = [];

  before(async () => {
    vp8Opus = encodeFrames({ video: 'vp8', audio: 'opus', seconds: 4 });
    h264Aac = encodeFrames({ video: 'h264', audio: 'aac', seconds: 4 });
    nginx = await startNginxRtmp();
  });
  after(async () => {
    router.close();
    await new Promise((r) => setTimeout(r, 200));
    await nginx?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  async function run(
    name: string,
    frames: MediaFrame[],
    spec: Record<string, unknown>,
  ): Promise<PipedFfmpegOutput> {
    const source = new ReplaySource();
    router.publish(`stream-${name}`, source);
    const sink = createStreamingOutSink(`out-${name}`, spec, onStatus);
    router.subscribe(`out-${name}`, sink);
    router.linkup(`out-${name}`, `stream-${name}`);
    await source.play(frames);
    return sink;
  }

  async function finish(name: string, sink: PipedFfmpegOutput): Promise<void> {
    router.unsubscribe(`out-${name}`);
    router.unpublish(`stream-${name}`);
    await waitUntil(() => sink.stopped, 10_000, 'sink stopped');
  }

  it('VP8 + Opus → RTMP is transcoded to H264 + AAC; ffprobe reads it back', async () => {
    const url = nginx.url('live', 'vp8');
    const sink = await run('vp8', vp8Opus, {
      type: 'streaming-out',
      protocol: 'rtmp',
      url,
      media: { audio: true, video: true },
    });
    // While live: ffprobe pulls the stream from nginx.
    const started = statuses.find(([id, s]) => id === 'out-vp8' && s.status === 'started')?.[1];
    assert.ok(started && started.status === 'started');
    assert.deepEqual(started.transcode, { audio: true, video: true });
    await finish('vp8', sink);
    await waitUntil(() => nginx.recordings('vp8').length > 0, 5000, 'nginx recorded the stream');
    const info = await probe(nginx.recordings('vp8')[0]!);
    assert.equal(streamOf(info, 'video')?.codec_name, 'h264');
    assert.equal(streamOf(info, 'video')?.width, 320);
    assert.equal(streamOf(info, 'video')?.height, 240);
    assert.equal(streamOf(info, 'audio')?.codec_name, 'aac');
    const duration = Number(info.format.duration);
    assert.ok(duration > 3 && duration < 5, `duration ${duration}`);
  });

  it('H264 + AAC → RTMP is copied; a live ffprobe pull sees it', async () => {
    const url = nginx.url('live', 'h264');
    const source = new ReplaySource();
    router.publish('stream-h264', source);
    const sink = createStreamingOutSink(
      'out-h264',
      { type: 'streaming-out', protocol: 'rtmp', url },
      onStatus,
    );
    router.subscribe('out-h264', sink);
    router.linkup('out-h264', 'stream-h264');
    const playing = source.play([
      ...h264Aac,
      ...h264Aac.map((f) => ({ ...f, timestamp: f.timestamp + 4 * f.clockRate })),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    const live = await probe(url, { timeoutMs: 15_000 });
    assert.equal(streamOf(live, 'video')?.codec_name, 'h264');
    assert.equal(streamOf(live, 'audio')?.codec_name, 'aac');
    await playing;
    const started = statuses.find(([id, s]) => id === 'out-h264' && s.status === 'started')?.[1];
    assert.ok(started && started.status === 'started');
    assert.deepEqual(started.transcode, { audio: false, video: false });
    await finish('h264', sink);
    await waitUntil(() => nginx.recordings('h264').length > 0, 5000, 'nginx recorded the stream');
    const info = await probe(nginx.recordings('h264')[0]!);
    const duration = Number(info.format.duration);
    assert.ok(duration > 7 && duration < 9, `duration ${duration}`);
  });

  it('retries with backoff while nginx is down and recovers when it is back', async () => {
    const url = nginx.url('live', 'retry');
    const source = new ReplaySource();
    router.publish('stream-retry', source);
    const sink = createStreamingOutSink(
      'out-retry',
      { type: 'streaming-out', protocol: 'rtmp', url, retry: { initialMs: 300, maxMs: 1000 } },
      onStatus,
    );
    router.subscribe('out-retry', sink);
    router.linkup('out-retry', 'stream-retry');
    const abort = new AbortController();
    const playing = source.play(repeatFrames(h264Aac, 5), { signal: abort.signal });
    try {
      const of = (status: string) => statuses.filter(([id, s]) => id === 'out-retry' && s.status === status);
      await waitUntil(() => of('active').length === 1, 10_000, 'output active');
      await nginx.stop();
      await waitUntil(() => of('retrying').length >= 2, 10_000, 'retries while nginx is down');
      await nginx.restart();
      await waitUntil(() => of('active').length >= 2, 15_000, 'output active again');
      const retry = of('retrying')[0]![1];
      assert.ok(retry.status === 'retrying' && retry.delayMs >= 200 && retry.delayMs <= 1200);
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      abort.abort();
      await playing;
    }
    await finish('retry', sink);
    await waitUntil(
      () => nginx.recordings('retry').length >= 2,
      5000,
      'a recording before and after the outage',
    );
    const recordings = nginx.recordings('retry');
    const last = await probe(recordings[recordings.length - 1]!);
    assert.equal(streamOf(last, 'video')?.codec_name, 'h264');
    assert.ok(Number(last.format.duration) > 1, `duration after recovery ${last.format.duration}`);
  });

  it('switches the source of a running output without restarting ffmpeg', async () => {
    const url = nginx.url('live', 'switch');
    const a = new ReplaySource();
    const b = new ReplaySource();
    router.publish('stream-a', a);
    router.publish('stream-b', b);
    const sink = createStreamingOutSink(
      'out-switch',
      { type: 'streaming-out', protocol: 'rtmp', url },
      onStatus,
    );
    router.subscribe('out-switch', sink);
    router.linkup('out-switch', 'stream-a');
    await a.play(h264Aac);
    const pid = sink.ffmpegPid;
    assert.ok(pid);
    router.linkup('out-switch', 'stream-b');
    // Unrelated timestamps on the new source (another RTP base).
    await b.play(
      h264Aac.map((f) => ({ ...f, timestamp: f.timestamp + 1234567 * (f.kind === 'video' ? 90 : 48) })),
    );
    assert.equal(sink.ffmpegPid, pid);
    assert.equal(sink.runCount, 1);
    const switched = statuses.find(([id, s]) => id === 'out-switch' && s.status === 'switched')?.[1];
    assert.deepEqual(switched, { status: 'switched', streamId: 'stream-b', restarted: false });
    router.unsubscribe('out-switch');
    router.unpublish('stream-a');
    router.unpublish('stream-b');
    await waitUntil(() => sink.stopped, 10_000, 'sink stopped');
    await waitUntil(() => nginx.recordings('switch').length > 0, 5000, 'nginx recorded the stream');
    const info = await probe(nginx.recordings('switch')[0]!);
    const duration = Number(info.format.duration);
    assert.equal(nginx.recordings('switch').length, 1);
    assert.ok(duration > 7 && duration < 9.5, `duration ${duration}`);
  });

  it('VP8 + Opus → RTSP is copied (an ffmpeg RTSP listener receives it)', async () => {
    const port = await freePort();
    const file = join(work, 'rtsp.mkv');
    const listener = spawn(
      'ffmpeg',
      [
        ...['-v', 'error', '-rtsp_flags', 'listen', '-rtsp_transport', 'tcp', '-timeout', '20'],
        ...['-i', `rtsp://127.0.0.1:${port}/live`, '-c', 'copy', '-f', 'matroska', '-y', file],
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => listener.once('exit', r));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const sink = await run('rtsp', vp8Opus, {
        type: 'streaming-out',
        protocol: 'rtsp',
        url: `rtsp://127.0.0.1:${port}/live`,
      });
      const started = statuses.find(([id, s]) => id === 'out-rtsp' && s.status === 'started')?.[1];
      assert.ok(started?.status === 'started');
      assert.deepEqual(started.transcode, { audio: false, video: false });
      await finish('rtsp', sink);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    } finally {
      listener.kill('SIGKILL');
      await exited;
    }
    const info = await probe(file);
    assert.equal(streamOf(info, 'video')?.codec_name, 'vp8');
    assert.equal(streamOf(info, 'video')?.width, 320);
    assert.equal(streamOf(info, 'audio')?.codec_name, 'opus');
    const duration = Number(info.format.duration);
    assert.ok(duration > 3 && duration < 5, `duration ${duration}`);
  });

  it('HLS and DASH outputs write playlists/manifests and segments ffprobe reads', async () => {
    const hlsDir = join(work, 'hls');
    const dashDir = join(work, 'dash');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(hlsDir);
    mkdirSync(dashDir);
    const hls = await run('hls', vp8Opus, {
      type: 'streaming-out',
      protocol: 'hls',
      url: join(hlsDir, 'index.m3u8'),
      parameters: { hlsTime: 1, hlsListSize: 0 },
    });
    await finish('hls', hls);
    const dash = await run('dash', h264Aac, {
      type: 'streaming-out',
      protocol: 'dash',
      url: join(dashDir, 'index.mpd'),
      parameters: { dashSegDuration: 1, dashWindowSize: 0 },
    });
    await finish('dash', dash);
    assert.ok(existsSync(join(hlsDir, 'index.m3u8')));
    const segments = readdirSync(hlsDir).filter((f) => f.endsWith('.ts'));
    assert.ok(segments.length >= 2, `hls segments: ${segments.join(',')}`);
    const hlsInfo = await probe(join(hlsDir, 'index.m3u8'));
    assert.equal(streamOf(hlsInfo, 'video')?.codec_name, 'h264');
    assert.equal(streamOf(hlsInfo, 'audio')?.codec_name, 'aac');
    assert.ok(Number(hlsInfo.format.duration) > 3, `hls duration ${hlsInfo.format.duration}`);
    const segmentInfo = await probe(join(hlsDir, segments[0]!));
    assert.equal(streamOf(segmentInfo, 'video')?.width, 320);
    assert.ok(existsSync(join(dashDir, 'index.mpd')));
    const dashInfo = await probe(join(dashDir, 'index.mpd'));
    assert.equal(streamOf(dashInfo, 'video')?.codec_name, 'h264');
    assert.equal(streamOf(dashInfo, 'audio')?.codec_name, 'aac');
    assert.ok(readdirSync(dashDir).filter((f) => f.endsWith('.m4s')).length >= 2);
  });
});
