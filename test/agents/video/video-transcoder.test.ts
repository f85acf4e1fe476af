import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { rgbToYuv } from '../../../agents/video/layout/index.js';
import { VideoTranscoder } from '../../../agents/video/video-transcoder.js';
import { KEYFRAME_REQUEST } from '../../../common/media/media-feedback.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  CaptureSink,
  lastPicture,
  meanYuv,
  near,
  ScriptedSource,
  sleep,
  solidFrames,
} from './video-test-support.js';

describe('VideoTranscoder', () => {
  const router = new MediaRouter();
  const transcoders: VideoTranscoder[] = [];
  after(async () => {
    for (const t of transcoders) await t.stop();
    router.close();
  });

  it('640x480 VP8 at 30 fps in, 320x240 H.264 at 15 fps out', async () => {
    const colour = rgbToYuv({ r: 0, g: 160, b: 255 });
    const source = new ScriptedSource(await solidFrames(640, 480, colour, 30));
    router.publish('cam', source);
    const spec = {
      codec: 'h264' as const,
      resolution: { width: 320, height: 240 },
      framerate: 15,
      bitrate: 400,
      keyFrameInterval: 10,
    };
    const t = VideoTranscoder.start('cam-h264', 'cam', spec, router);
    transcoders.push(t);
    assert.ok(source.keyframeRequests >= 1, 'asked for a keyframe at start');
    const sink = new CaptureSink();
    router.subscribe('out', sink);
    router.linkup('out', 'cam-h264');
    // Two seconds of input in real time (the keyframe request above is answered first).
    source.play(30);
    await sleep(2000);
    source.stop();
    await sleep(300);
    const inputs = t.stats().inputStats.framesDecoded;
    assert.ok(inputs >= 50, `decoded ${inputs}`);
    const frames = sink.frames;
    assert.ok(Math.abs(frames.length - inputs / 2) <= 3, `${frames.length} out for ${inputs} in`);
    const gaps = frames.slice(1).map((f, i) => f.timestamp - frames[i]!.timestamp);
    assert.ok(
      gaps.every((g) => g >= 5000),
      `gaps ${gaps}`,
    );
    assert.equal(frames[0]!.codec, 'h264');
    assert.ok(frames[0]!.keyframe);
    const picture = await lastPicture(frames);
    assert.deepEqual([picture.width, picture.height], [320, 240]);
    assert.ok(near(meanYuv(picture, { x: 0, y: 0, width: 320, height: 240 }), colour));
    // A subscriber's keyframe request reaches the encoder.
    const at = frames.length;
    sink.feedback!(KEYFRAME_REQUEST);
    source.play(30);
    await waitUntil(() => sink.frames.slice(at).some((f) => f.keyframe), 2000, 'a keyframe');
    source.stop();
    assert.equal(t.stats().output.keyframes, sink.frames.filter((f) => f.keyframe).length);
  });

  it('stop unpublishes the output and releases the input', async () => {
    const t = transcoders.pop()!;
    await t.stop();
    assert.equal(router.hasStream('cam-h264'), false);
    // Only the test's own sink is left, cut off from the gone output.
    assert.deepEqual(
      router.subscriptionList().map((s) => [s.subscriptionId, s.streamId]),
      [['out', undefined]],
    );
    assert.deepEqual(router.streams()[0]?.subscriptions, []);
  });
});
