import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MediaRouter } from '../../../common/media/media-router.js';
import { type HttpFlvServer, startHttpFlvServer } from '../../support/ffmpeg-http-flv-server.js';
import { type NginxRtmp, startNginxRtmp } from '../../support/nginx-rtmp.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  assertMonotonic,
  decodeH264,
  type Pull,
  pull,
  rateOf,
  waitForMedia,
  waitForPull,
} from './pulled-frames.js';

/** ffmpeg writing a live HLS stream with fMP4 segments (H.264 + AAC) into `dir`, at most 120 s. */
function writeLiveHls(dir: string): ChildProcess {
  mkdirSync(dir, { recursive: true });
  return spawn(
    'ffmpeg',
    [
      ...[
        '-hide_banner',
        '-nostdin',
        '-v',
        'error',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=25',
      ],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '120'],
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
      ...['-c:a', 'aac', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6'],
      ...['-hls_flags', 'delete_segments+temp_file', '-hls_segment_type', 'fmp4', join(dir, 'index.m3u8')],
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

/** streaming-in against HTTP servers: HTTP-FLV (FFmpeg's HTTP server) and live HLS over nginx. */
describe('streaming-in from HTTP servers (HTTP-FLV, HLS)', () => {
  let flv: HttpFlvServer;
  let nginx: NginxRtmp;
  let hlsWriter: ChildProcess | undefined;
  const router = new MediaRouter();
  const pulls: Pull[] = [];
  const start = (id: string, spec: Record<string, unknown>): Pull => {
    const p = pull(router, id, spec);
    pulls.push(p);
    return p;
  };

  before(async () => {
    flv = await startHttpFlvServer();
    nginx = await startNginxRtmp();
  });
  after(async () => {
    for (const p of pulls) p.close();
    router.close();
    await flv?.stop();
    await stopProcess(hlsWriter);
    await nginx?.remove();
  });

  it('HTTP-FLV: H.264 copied (decodable, 320x240, 25 fps), AAC → Opus', async () => {
    const p = start('flv', { url: flv.url() });
    await waitForMedia(p, { keyframes: 3, audioFrames: 50 });
    const key = p.sink.keyframes[0]!;
    assert.equal(key.codec, 'h264');
    assert.deepEqual([key.width, key.height], [320, 240]);
    const decoded = decodeH264(p.sink.video);
    assert.ok(decoded.frames >= 25, `decoded ${decoded.frames} frames`);
    assert.deepEqual(decoded.errors, []);
    const fps = rateOf(p.sink.video);
    assert.ok(fps > 20 && fps < 30, `video rate ${fps.toFixed(1)} fps`);
    assert.equal(p.sink.audio[0]!.codec, 'opus');
    assert.deepEqual(p.of('connected').at(-1)?.transcode, { audio: true, video: false });
    assertMonotonic(p.sink.video, 'video');
    p.close();
  });

  it('HTTP-FLV server lost and back: reconnecting, then frames again on one timeline', async () => {
    const p = start('flv-loss', {
      url: flv.url(),
      retry: { initialMs: 300, maxMs: 1000 },
      stallTimeoutMs: 3000,
    });
    await waitForMedia(p, { keyframes: 2, audioFrames: 20 });
    await flv.kill();
    await waitForPull(p, () => p.of('reconnecting').length >= 1, 15_000, 'reconnecting status');
    await new Promise((r) => setTimeout(r, 1500));
    const videoBefore = p.sink.video.length;
    await flv.start();
    await waitForPull(
      p,
      () => p.sink.video.slice(videoBefore).filter((f) => f.keyframe).length >= 2,
      30_000,
      'keyframes after the server is back',
    );
    assert.ok(p.of('connected').length >= 2, 'connected again (stream update)');
    for (const r of p.of('reconnecting')) assert.ok(r.delayMs <= 1200, `delay ${r.delayMs}`);
    const afterLoss = p.sink.video.slice(videoBefore);
    assert.ok(afterLoss[0]!.timestamp > p.sink.video[videoBefore - 1]!.timestamp, 'timeline continues');
    const again = decodeH264(afterLoss);
    assert.ok(again.frames >= 25 && again.errors.length === 0, JSON.stringify(again).slice(0, 300));
    assertMonotonic(p.sink.video, 'video');
    assertMonotonic(p.sink.audio, 'audio');
    p.close();
  });

  it('live HLS with fMP4 segments (ffmpeg → nginx): H.264 320x240 copied, AAC → Opus', async () => {
    const dir = join(nginx.hlsDir, 'ff');
    hlsWriter = writeLiveHls(dir);
    await waitUntil(() => existsSync(join(dir, 'index.m3u8')), 20_000, 'ffmpeg wrote the HLS playlist');
    const p = start('hls-fmp4', { url: `http://127.0.0.1:${nginx.httpPort}/hls/ff/index.m3u8` });
    await waitForMedia(p, { keyframes: 3, audioFrames: 50 });
    const key = p.sink.keyframes[0]!;
    assert.equal(key.codec, 'h264');
    assert.deepEqual([key.width, key.height], [320, 240]);
    const decoded = decodeH264(p.sink.video);
    assert.ok(decoded.frames >= 25 && decoded.errors.length === 0, JSON.stringify(decoded).slice(0, 300));
    assert.equal(p.sink.audio[0]!.codec, 'opus');
    // Paced like a live source (-re), not read as fast as the segments download.
    // Real time on average; within a second frames come in a burst per segment (docs/streaming.md).
    const before = p.sink.video.length;
    await new Promise((r) => setTimeout(r, 5000));
    const fps = (p.sink.video.length - before) / 5;
    assert.ok(fps > 15 && fps < 35, `arrival rate ${fps.toFixed(1)} fps`);
    assertMonotonic(p.sink.video, 'video');
    p.close();
    await stopProcess(hlsWriter);
  });
});
