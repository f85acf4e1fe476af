import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createStreamingInSource,
  type StreamingInStatus,
} from '../../../agents/streaming/streaming-in-source.js';
import type { MediaSink } from '../../../common/media/media-endpoint.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { type NginxRtmp, startNginxRtmp } from '../../support/nginx-rtmp.js';
import { waitUntil } from '../../support/wait-until.js';

class CollectingSink implements MediaSink {
  readonly type = 'collect';
  readonly frames: MediaFrame[] = [];
  onLinkup(): void {}
  onCutoff(): void {}
  onFrame(frame: MediaFrame): void {
    this.frames.push(frame);
  }
  close(): void {}
  of(kind: 'audio' | 'video'): MediaFrame[] {
    return this.frames.filter((f) => f.kind === kind);
  }
}

/** ffmpeg publishing a live test pattern (H264 + AAC) to an RTMP URL, at most 60 s. */
function pushTestPattern(url: string): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      ...['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '60'],
      ...[
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-pix_fmt',
        'yuv420p',
        '-g',
        '25',
      ],
      ...['-c:a', 'aac', '-f', 'flv', url],
    ],
    { stdio: 'ignore' },
  );
}

async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

function assertMonotonic(frames: MediaFrame[], what: string): void {
  for (let i = 1; i < frames.length; i++) {
    assert.ok(
      frames[i]!.timestamp > frames[i - 1]!.timestamp - 90_000,
      `${what}: timestamp jumped back at ${i}`,
    );
  }
}

describe('streaming-in with real ffmpeg', () => {
  let nginx: NginxRtmp;
  const router = new MediaRouter();
  const pushers: ChildProcess[] = [];
  const statuses: Array<[string, StreamingInStatus]> = [];
  const onStatus = (id: string, s: StreamingInStatus) => statuses.push([id, s]);
  const work = mkdtempSync(join(tmpdir(), 'ms-streaming-in-'));
  const of = (id: string, status: string) =>
    statuses.filter(([i, s]) => i === id && s.status === status).map(([, s]) => s);

  before(async () => {
    nginx = await startNginxRtmp();
  });
  after(async () => {
    router.close();
    for (const p of pushers) await stopProcess(p);
    await nginx?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('pulls an RTMP test pattern from nginx: H264 copied, AAC transcoded to Opus', async () => {
    const url = nginx.url('live', 'cam');
    pushers.push(pushTestPattern(url));
    await new Promise((r) => setTimeout(r, 1000));
    const source = createStreamingInSource('in-rtmp', { type: 'streaming-in', url }, onStatus);
    router.publish('in-rtmp', source);
    const sink = new CollectingSink();
    router.subscribe('sub-rtmp', sink);
    router.linkup('sub-rtmp', 'in-rtmp');
    await waitUntil(
      () => sink.of('video').filter((f) => f.kind === 'video' && f.keyframe).length >= 2,
      20_000,
      'two keyframes',
    );
    await waitUntil(() => sink.of('audio').length >= 20, 10_000, 'audio frames');
    const key = sink.of('video').find((f) => f.kind === 'video' && f.keyframe);
    assert.ok(key && key.kind === 'video');
    assert.equal(key.codec, 'h264');
    assert.equal(key.width, 320);
    assert.equal(key.height, 240);
    const audio = sink.of('audio')[0]!;
    assert.equal(audio.codec, 'opus');
    assert.equal(audio.clockRate, 48_000);
    const connected = of('in-rtmp', 'connected').at(-1);
    assert.ok(connected?.status === 'connected');
    assert.deepEqual(connected.transcode, { audio: true, video: false });
    assertMonotonic(sink.of('video'), 'video');
    router.unsubscribe('sub-rtmp');
    router.unpublish('in-rtmp');
  });

  it('reconnects with backoff after the source is lost and continues the timeline', async () => {
    const url = nginx.url('live', 'flaky');
    let pusher = pushTestPattern(url);
    pushers.push(pusher);
    await new Promise((r) => setTimeout(r, 1000));
    const source = createStreamingInSource(
      'in-flaky',
      { type: 'streaming-in', url, retry: { initialMs: 300, maxMs: 1000 }, stallTimeoutMs: 3000 },
      onStatus,
    );
    router.publish('in-flaky', source);
    const sink = new CollectingSink();
    router.subscribe('sub-flaky', sink);
    router.linkup('sub-flaky', 'in-flaky');
    await waitUntil(() => sink.of('video').length >= 25, 20_000, 'video before the loss');
    await stopProcess(pusher);
    await waitUntil(() => of('in-flaky', 'reconnecting').length >= 1, 15_000, 'reconnecting status');
    const before = sink.of('video').length;
    pusher = pushTestPattern(url);
    pushers.push(pusher);
    await waitUntil(() => sink.of('video').length >= before + 50, 30_000, 'video after the source is back');
    assert.ok(
      of('in-flaky', 'connected').length >= 2,
      `connected again (stream update): ${JSON.stringify(statuses)}`,
    );
    assertMonotonic(sink.of('video'), 'video');
    assertMonotonic(sink.of('audio'), 'audio');
    const after = sink.of('video').slice(before);
    assert.ok(after.some((f) => f.kind === 'video' && f.keyframe && f.width === 320));
    router.unsubscribe('sub-flaky');
    router.unpublish('in-flaky');
    await stopProcess(pusher);
  });

  it('pulls HLS over HTTP (nginx hls app): H264 keyframes of the right size, Opus audio', async () => {
    pushers.push(pushTestPattern(nginx.url('hls', 'hlscam')));
    await waitUntil(
      () => existsSync(join(nginx.hlsDir, 'hlscam.m3u8')),
      20_000,
      'nginx wrote the HLS playlist',
    );
    const source = createStreamingInSource(
      'in-hls',
      { type: 'streaming-in', url: nginx.hlsUrl('hlscam') },
      onStatus,
    );
    router.publish('in-hls', source);
    const sink = new CollectingSink();
    router.subscribe('sub-hls', sink);
    router.linkup('sub-hls', 'in-hls');
    await waitUntil(
      () => sink.of('video').filter((f) => f.kind === 'video' && f.keyframe).length >= 2,
      30_000,
      'two keyframes',
    );
    const key = sink.of('video').find((f) => f.kind === 'video' && f.keyframe);
    assert.ok(key?.kind === 'video' && key.codec === 'h264' && key.width === 320 && key.height === 240);
    await waitUntil(() => sink.of('audio').length > 0, 10_000, 'audio');
    assert.equal(sink.of('audio')[0]?.codec, 'opus');
    assertMonotonic(sink.of('video'), 'video');
    router.unsubscribe('sub-hls');
    router.unpublish('in-hls');
  });

  it('plays a file (VP8 + Opus copied) and reports its end', async () => {
    const file = join(work, 'clip.webm');
    const made = spawnSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=352x288:rate=25', '-f', 'lavfi'],
      ...['-i', 'sine=frequency=440:sample_rate=48000', '-t', '2', '-c:v', 'libvpx', '-deadline', 'realtime'],
      ...['-g', '25', '-c:a', 'libopus', file],
    ]);
    assert.equal(made.status, 0, made.stderr?.toString());
    const source = createStreamingInSource('in-file', { type: 'streaming-in', url: file }, onStatus);
    router.publish('in-file', source);
    const sink = new CollectingSink();
    router.subscribe('sub-file', sink);
    router.linkup('sub-file', 'in-file');
    await waitUntil(() => of('in-file', 'ended').length === 1, 15_000, 'file ended');
    const video = sink.of('video');
    assert.ok(video.length >= 45 && video.length <= 52, `video frames ${video.length}`);
    const keys = video.filter((f) => f.kind === 'video' && f.keyframe);
    assert.ok(keys.length >= 2);
    const k = keys[0]!;
    assert.ok(k.kind === 'video' && k.codec === 'vp8' && k.width === 352 && k.height === 288);
    assert.equal(sink.of('audio')[0]?.codec, 'opus');
    const connected = of('in-file', 'connected')[0];
    assert.ok(connected?.status === 'connected');
    assert.deepEqual(connected.transcode, { audio: false, video: false });
    router.unsubscribe('sub-file');
    router.unpublish('in-file');
  });

  it('rejects bad specs and reports failure for a source that never answers', async () => {
    assert.throws(
      () => createStreamingInSource('x', { type: 'streaming-in', url: 'file:///etc/passwd' }, onStatus),
      /source\.url/,
    );
    assert.throws(() => createStreamingInSource('x', { type: 'streaming-in' }, onStatus), /source\.url/);
    const source = createStreamingInSource(
      'in-dead',
      {
        type: 'streaming-in',
        url: nginx.url('live', 'nobody').replace(String(nginx.port), '1'),
        maxInitialAttempts: 2,
        retry: { initialMs: 100, maxMs: 200 },
      },
      onStatus,
    );
    router.publish('in-dead', source);
    await waitUntil(() => of('in-dead', 'failed').length === 1, 15_000, 'failed status');
    router.unpublish('in-dead');
  });
});
