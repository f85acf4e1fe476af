import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MediaRouter } from '../../../common/media/media-router.js';
import { type GstRtspServer, RTSP_MOUNTS, startGstRtspServer } from '../../support/gst-rtsp-server.js';
import {
  assertMonotonic,
  decodeH264,
  type Pull,
  pull,
  rateOf,
  waitForMedia,
  waitForPull,
} from './pulled-frames.js';

/**
 * streaming-in against a real RTSP server (GStreamer's gst-rtsp-server serving live test
 * patterns, as an IP camera would): copy and transcode, RTP over TCP and UDP, and the server
 * going away and coming back.
 */
describe('streaming-in from an RTSP server (gst-rtsp-server)', () => {
  let server: GstRtspServer;
  const router = new MediaRouter();
  const pulls: Pull[] = [];
  const start = (id: string, spec: Record<string, unknown>): Pull => {
    const p = pull(router, id, spec);
    pulls.push(p);
    return p;
  };

  before(async () => {
    server = await startGstRtspServer();
  });
  after(async () => {
    for (const p of pulls) p.close();
    router.close();
    await server?.stop();
  });

  for (const transportProtocol of ['tcp', 'udp'] as const) {
    it(`H.264 + AAC over ${transportProtocol}: H.264 copied (decodable, 320x240, 25 fps), AAC → Opus`, async () => {
      const p = start(`rtsp-${transportProtocol}`, { url: server.url('/h264-aac'), transportProtocol });
      await waitForMedia(p, { keyframes: 3, audioFrames: 50 });
      const key = p.sink.keyframes[0]!;
      assert.equal(key.codec, 'h264');
      assert.equal(key.width, 320);
      assert.equal(key.height, 240);
      const decoded = decodeH264(p.sink.video);
      assert.ok(decoded.frames >= 25, `decoded ${decoded.frames} frames`);
      assert.deepEqual([decoded.width, decoded.height], [320, 240]);
      assert.deepEqual(decoded.errors, [], 'the copied bitstream decodes without errors');
      const fps = rateOf(p.sink.video);
      assert.ok(fps > 20 && fps < 30, `video rate ${fps.toFixed(1)} fps`);
      const audio = p.sink.audio[0]!;
      assert.equal(audio.codec, 'opus');
      assert.equal(audio.clockRate, 48_000);
      const connected = p.of('connected').at(-1);
      assert.deepEqual(connected?.transcode, { audio: true, video: false });
      assert.deepEqual(connected?.media.video, { codec: 'h264', width: 320, height: 240 });
      assertMonotonic(p.sink.video, 'video');
      assertMonotonic(p.sink.audio, 'audio');
      p.close();
    });
  }

  it("HD over UDP with OWT's default bufferSize (8192): keyframes arrive whole", async () => {
    // 8 KiB holds less than one 720p keyframe: the source raises it to ffmpeg's default.
    const p = start('rtsp-udp-hd', {
      url: server.url('/h264-720p'),
      transportProtocol: 'udp',
      bufferSize: 8192,
    });
    await waitForPull(p, () => p.sink.keyframes.length >= 4, 30_000, '4 keyframes');
    const decoded = decodeH264(p.sink.video);
    assert.deepEqual([decoded.width, decoded.height], [1280, 720]);
    assert.ok(decoded.frames >= 75, `decoded ${decoded.frames} frames`);
    assert.deepEqual(decoded.errors.slice(0, 5), [], 'no corrupt macroblocks (no lost packets)');
    p.close();
  });

  it('a camera with a password: user info in the URL works; a wrong one fails without leaking it', async () => {
    const credentials = { user: 'cam', password: 'S3cret-9' };
    const guarded = await startGstRtspServer({ '/h264-aac': RTSP_MOUNTS['/h264-aac'] }, { credentials });
    try {
      const withAuth = (password: string) =>
        guarded.url('/h264-aac').replace('rtsp://', `rtsp://cam:${password}@`);
      const ok = start('rtsp-auth', { url: withAuth(credentials.password) });
      await waitForMedia(ok);
      assert.equal(ok.sink.keyframes[0]!.codec, 'h264');
      ok.close();
      const wrong = start('rtsp-auth-wrong', {
        url: withAuth('Wr0ng-pass'),
        maxInitialAttempts: 2,
        retry: { initialMs: 100, maxMs: 200 },
      });
      await waitForPull(wrong, () => wrong.of('failed').length === 1, 20_000, 'failed status');
      const reasons = wrong.statuses.map((s) => ('reason' in s ? s.reason : '')).join('\n');
      assert.match(reasons, /401|authorization/i);
      assert.doesNotMatch(reasons, /Wr0ng-pass/);
      assert.match(reasons, /rtsp:\/\/\*\*\*@/);
      wrong.close();
    } finally {
      await guarded.stop();
    }
  });

  it('VP8 + Opus: both copied', async () => {
    const p = start('rtsp-vp8', { url: server.url('/vp8-opus') });
    await waitForMedia(p);
    const key = p.sink.keyframes[0]!;
    assert.equal(key.codec, 'vp8');
    assert.deepEqual([key.width, key.height], [320, 240]);
    assert.equal(p.sink.audio[0]!.codec, 'opus');
    assert.deepEqual(p.of('connected').at(-1)?.transcode, { audio: false, video: false });
    p.close();
  });

  it('H.265 + AAC (a newer camera): H.265 transcoded to H.264, AAC → Opus', async () => {
    const p = start('rtsp-h265', { url: server.url('/h265-aac') });
    await waitForMedia(p);
    const key = p.sink.keyframes[0]!;
    assert.equal(key.codec, 'h264');
    assert.deepEqual([key.width, key.height], [320, 240]);
    const decoded = decodeH264(p.sink.video);
    assert.ok(decoded.frames >= 25 && decoded.errors.length === 0, JSON.stringify(decoded).slice(0, 300));
    assert.equal(p.sink.audio[0]!.codec, 'opus');
    assert.deepEqual(p.of('connected').at(-1)?.transcode, { audio: true, video: true });
    // The copy attempt saw H.265 once and restarted transcoding; no run connected before.
    assert.equal(p.of('connected').length, 1);
    assert.equal(p.of('connecting').length, 2);
    p.close();
  });

  it('Motion JPEG + G.711 A-law (an older camera): both transcoded to H.264 + Opus', async () => {
    const p = start('rtsp-mjpeg', { url: server.url('/mjpeg-pcma') });
    await waitForMedia(p);
    const key = p.sink.keyframes[0]!;
    assert.equal(key.codec, 'h264');
    assert.deepEqual([key.width, key.height], [320, 240]);
    const decoded = decodeH264(p.sink.video);
    assert.ok(decoded.frames >= 25, `decoded ${decoded.frames} frames`);
    assert.deepEqual(decoded.errors, []);
    const audio = p.sink.audio[0]!;
    assert.equal(audio.codec, 'opus');
    assert.equal(audio.sampleRate, 48_000);
    assert.deepEqual(p.of('connected').at(-1)?.transcode, { audio: true, video: true });
    assert.equal(p.of('connecting').length, 2, 'one copy attempt, then one transcoding run');
    p.close();
  });

  for (const transportProtocol of ['tcp', 'udp'] as const) {
    it(`server lost and back (${transportProtocol}): reconnecting, then frames again on one timeline`, async () => {
      const p = start(`rtsp-loss-${transportProtocol}`, {
        url: server.url('/h264-aac'),
        transportProtocol,
        retry: { initialMs: 300, maxMs: 1000 },
        stallTimeoutMs: 3000,
      });
      await waitForMedia(p, { keyframes: 2, audioFrames: 20 });
      const connectedBefore = p.of('connected').length;
      await server.kill();
      await waitForPull(p, () => p.of('reconnecting').length >= 1, 15_000, 'reconnecting status');
      const reconnecting = p.of('reconnecting')[0]!;
      assert.ok(reconnecting.delayMs >= 240 && reconnecting.delayMs <= 1200, `delay ${reconnecting.delayMs}`);
      // A few failed attempts against the dead port; the backoff stays within its bounds.
      await new Promise((r) => setTimeout(r, 1500));
      const videoBefore = p.sink.video.length;
      const audioBefore = p.sink.audio.length;
      await server.restart();
      await waitForPull(
        p,
        () => p.sink.video.slice(videoBefore).filter((f) => f.keyframe).length >= 2,
        30_000,
        'keyframes after the server is back',
      );
      await waitForPull(
        p,
        () => p.sink.audio.length >= audioBefore + 20,
        10_000,
        'audio after the server is back',
      );
      assert.ok(p.of('connected').length > connectedBefore, 'connected again (stream update)');
      for (const r of p.of('reconnecting')) assert.ok(r.delayMs <= 1200, `delay ${r.delayMs}`);
      const afterLoss = p.sink.video.slice(videoBefore);
      assert.ok(afterLoss.some((f) => f.keyframe && f.width === 320 && f.height === 240));
      const again = decodeH264(afterLoss);
      assert.ok(again.frames >= 25 && again.errors.length === 0, JSON.stringify(again).slice(0, 300));
      assertMonotonic(p.sink.video, 'video');
      assertMonotonic(p.sink.audio, 'audio');
      // The timeline continues after the gap instead of restarting at 0.
      const gapStart = p.sink.video[videoBefore - 1]!.timestamp;
      assert.ok(afterLoss[0]!.timestamp > gapStart, 'timestamps continue after the gap');
      p.close();
    });
  }

  it('server frozen (connection open, nothing sent): stall timeout → reconnecting; thawed → frames again', async () => {
    const p = start('rtsp-frozen', {
      url: server.url('/h264-aac'),
      retry: { initialMs: 300, maxMs: 1000 },
      stallTimeoutMs: 3000,
    });
    await waitForMedia(p, { keyframes: 2, audioFrames: 20 });
    const frozenAt = performance.now();
    server.freeze();
    try {
      await waitForPull(p, () => p.of('reconnecting').length >= 1, 15_000, 'reconnecting status');
      const noticedMs = performance.now() - frozenAt;
      // No RST and ffmpeg's own socket timeout is longer: the stall timer notices.
      assert.ok(noticedMs >= 2500 && noticedMs < 8000, `loss noticed after ${Math.round(noticedMs)} ms`);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      server.thaw();
    }
    const videoBefore = p.sink.video.length;
    await waitForPull(
      p,
      () => p.sink.video.slice(videoBefore).filter((f) => f.keyframe).length >= 2,
      30_000,
      'keyframes after the server thawed',
    );
    assert.ok(p.of('connected').length >= 2, 'connected again (stream update)');
    assertMonotonic(p.sink.video, 'video');
    p.close();
  });
});
