import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitrateGovernor, MIN_VIDEO_BITRATE_BPS } from '../../../agents/video/bitrate-governor.js';
import { FrameClock } from '../../../agents/video/frame-clock.js';
import { FrameRateDecimator } from '../../../agents/video/frame-rate-decimator.js';
import { KeyframeRequester } from '../../../agents/video/keyframe-requester.js';
import type { MediaFeedback } from '../../../common/media/media-feedback.js';
import { sleep } from './video-test-support.js';

describe('video mixer parts', () => {
  it('FrameRateDecimator keeps the frames of the lower rate', () => {
    const keptOf = (from: number, to: number, frames: number) => {
      const d = new FrameRateDecimator(to);
      let kept = 0;
      for (let i = 0; i < frames; i++) if (d.keep(Math.round((i * 90_000) / from))) kept++;
      return kept;
    };
    assert.equal(keptOf(30, 15, 300), 150);
    assert.equal(keptOf(30, 20, 300), 200);
    assert.equal(keptOf(30, 30, 300), 300);
    assert.equal(keptOf(30, 60, 300), 300);
    // Jitter of a few ms does not change the count.
    const d = new FrameRateDecimator(15);
    let kept = 0;
    for (let i = 0; i < 300; i++) if (d.keep(i * 3000 + ((i * 7919) % 5) * 90)) kept++;
    assert.ok(Math.abs(kept - 150) <= 2, `kept ${kept}`);
  });

  it('BitrateGovernor clamps, ignores small changes and waits between changes', () => {
    let now = 0;
    const g = new BitrateGovernor({ targetBps: 2_000_000, now: () => now });
    assert.equal(g.propose(1_900_000), undefined, 'a 5 % change is ignored');
    assert.equal(g.propose(5_000_000), undefined, 'never above the configured bitrate');
    assert.equal(g.propose(1_000_000), 1_000_000);
    now += 500;
    assert.equal(g.propose(500_000), undefined, 'too soon after the last change');
    now += 2000;
    assert.equal(g.propose(1), 200_000, 'floor: a tenth of the configured bitrate');
    now += 2000;
    assert.equal(g.propose(Number.NaN), undefined);
    const small = new BitrateGovernor({ targetBps: 100_000, now: () => now });
    now += 5000;
    assert.equal(small.propose(1), MIN_VIDEO_BITRATE_BPS);
  });

  it('KeyframeRequester rate-limits unless forced', () => {
    let now = 0;
    const sent: MediaFeedback[] = [];
    const k = new KeyframeRequester(500, () => now);
    assert.equal(k.request(), false, 'nothing linked');
    k.attach((f) => sent.push(f));
    assert.equal(k.request(), true);
    now += 100;
    assert.equal(k.request(), false);
    assert.equal(k.request({ force: true }), true);
    now += 600;
    assert.equal(k.request(), true);
    assert.equal(sent.length, 3);
    assert.equal(k.requests, 3);
  });

  it('FrameClock ticks at its rate without drift and skips what a blocked loop missed', async () => {
    const ticks: number[] = [];
    const clock = new FrameClock(50, () => ticks.push(performance.now()));
    const start = performance.now();
    clock.start();
    await sleep(1000);
    clock.stop();
    const n = ticks.length;
    assert.ok(
      n + clock.missedTicks >= 47 && n <= 51,
      `${n} ticks (+${clock.missedTicks} missed) in 1 s at 50/s`,
    );
    // Tick k is due at start + 20·k ms: ticks stay on that grid (a drifting timer's offsets
    // would spread over the whole 20 ms); the median resists single late timers on a busy machine.
    const offsets = ticks
      .map((t) => {
        const d = (t - start) % 20;
        return Math.abs(d > 10 ? d - 20 : d);
      })
      .sort((a, b) => a - b);
    const median = offsets[Math.floor(offsets.length / 2)]!;
    assert.ok(median < 6, `median offset from the grid ${median.toFixed(1)} ms`);
    const blocked: number[] = [];
    let blockEnd = 0;
    const c2 = new FrameClock(50, () => {
      blocked.push(performance.now());
      if (blocked.length === 2) {
        blockEnd = performance.now() + 110;
        while (performance.now() < blockEnd) {}
      }
    });
    c2.start();
    await sleep(400);
    c2.stop();
    assert.ok(c2.missedTicks >= 4, `missed ${c2.missedTicks}`);
    // The 5 ticks due during the block are not fired in a burst after it (timers on a loaded
    // machine can still bunch two).
    const rightAfter = blocked.filter((t) => t > blockEnd && t <= blockEnd + 10).length;
    assert.ok(rightAfter <= 2, `${rightAfter} ticks in the 10 ms after the block`);
  });
});
