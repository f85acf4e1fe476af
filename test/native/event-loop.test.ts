import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoEncoder } from '../../native/index.js';
import { texturedPicture } from './native-test-helpers.js';

describe('native codec work and the event loop', () => {
  it('a timer keeps firing while a long encode runs', async (t) => {
    // VP9 at 1080p with a slow speed setting: each call takes a few hundred milliseconds.
    const encoder = new VideoEncoder({
      codec: 'vp9',
      width: 1920,
      height: 1080,
      bitrate: 4_000_000,
      framerate: 30,
      cpuUsed: 5,
    });
    let ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    t.after(async () => {
      clearInterval(timer);
      await encoder.close();
    });
    const pictures = [0, 1, 2].map((i) => texturedPicture(1920, 1080, i));
    let longest = { ms: 0, ticks: 0, maxGap: 0 };
    for (const [i, picture] of pictures.entries()) {
      ticks = [];
      const start = performance.now();
      const frames = await encoder.encode(picture, i * 3000);
      const ms = performance.now() - start;
      assert.ok(frames.length === 1);
      let maxGap = ticks.length > 0 ? ticks[0]! - start : ms;
      for (let k = 1; k < ticks.length; k++) maxGap = Math.max(maxGap, ticks[k]! - ticks[k - 1]!);
      if (ms > longest.ms) longest = { ms, ticks: ticks.length, maxGap };
    }
    t.diagnostic(
      `longest encode ${longest.ms.toFixed(0)} ms: ${longest.ticks} ticks, max gap ${longest.maxGap.toFixed(0)} ms`,
    );
    assert.ok(longest.ms > 50, `the encode was long enough to tell (${longest.ms.toFixed(0)} ms)`);
    // Blocked, the timer would not fire at all during the call; generous bounds for a busy machine.
    assert.ok(longest.ticks >= longest.ms / 25, `${longest.ticks} ticks during ${longest.ms.toFixed(0)} ms`);
    assert.ok(longest.maxGap < Math.max(100, longest.ms / 2), `longest gap ${longest.maxGap.toFixed(0)} ms`);
  });

  it('one instance completes calls in the order they were made', async (t) => {
    const encoder = new VideoEncoder({
      codec: 'vp8',
      width: 320,
      height: 240,
      bitrate: 500_000,
      framerate: 30,
    });
    t.after(() => encoder.close());
    const calls = Array.from({ length: 12 }, (_, i) =>
      encoder.encode(texturedPicture(320, 240, i), i * 3000),
    );
    const finished: number[] = [];
    await Promise.all(calls.map((p, i) => p.then(() => finished.push(i))));
    assert.deepEqual(
      finished,
      Array.from({ length: 12 }, (_, i) => i),
    );
    const frames = (await Promise.all(calls)).flat();
    assert.deepEqual(
      frames.map((f) => f.timestamp),
      Array.from({ length: 12 }, (_, i) => i * 3000),
    );
  });
});
