import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { ActiveSpeakerDetector, DEFAULT_ACTIVE_SPEAKER } from '../../../agents/audio/active-speaker.js';
import { rmsDbov, SILENCE_DBOV } from '../../../agents/audio/audio-level.js';
import { DriftFreeClock } from '../../../agents/audio/drift-free-clock.js';
import { InputBuffer } from '../../../agents/audio/input-buffer.js';
import { addInto, clipInto, clipMinusInto } from '../../../agents/audio/pcm-mix.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe('mixer parts', () => {
  it('sums in 32 bits and clips once; minus-one = total minus own, clipped', () => {
    const a = Int16Array.from([30_000, -30_000, 100, 0]);
    const b = Int16Array.from([30_000, -30_000, -50, 7]);
    const c = Int16Array.from([-30_000, 30_000, 1, 1]);
    const acc = new Int32Array(4);
    for (const x of [a, b, c]) addInto(acc, x);
    const out = new Int16Array(4);
    clipInto(out, acc);
    // 30000+30000−30000: no intermediate saturation, whatever the order.
    assert.deepEqual([...out], [30_000, -30_000, 51, 8]);
    clipMinusInto(out, acc, [c]);
    assert.deepEqual([...out], [32_767, -32_768, 50, 7], 'a+b clipped');
    clipMinusInto(out, acc, [a, b]);
    assert.deepEqual([...out], [-30_000, 30_000, 1, 1]);
  });

  it('dBov: full-scale sine ≈ −3, silence −127', () => {
    const sine = Int16Array.from({ length: 4800 }, (_, i) =>
      Math.round(32_767 * Math.sin((2 * Math.PI * i) / 48)),
    );
    assert.ok(Math.abs(rmsDbov(sine) + 3.01) < 0.05, `${rmsDbov(sine)}`);
    assert.equal(rmsDbov(new Int16Array(960)), SILENCE_DBOV);
    const quiet = Int16Array.from(sine, (v) => Math.round(v / 100));
    assert.ok(Math.abs(rmsDbov(quiet) + 43.01) < 0.1, `${rmsDbov(quiet)}`);
  });

  it('input buffer: silence until prebuffered, pads an underrun, drops the oldest beyond capacity', () => {
    const buffer = new InputBuffer({ readSize: 4, prebuffer: 8, capacity: 16 });
    const out = new Int16Array(4);
    buffer.push(ramp(1, 4));
    assert.equal(buffer.read(out), 0, 'prebuffering');
    assert.deepEqual([...out], [0, 0, 0, 0]);
    buffer.push(ramp(5, 4));
    assert.equal(buffer.read(out), 4);
    assert.deepEqual([...out], [1, 2, 3, 4]);
    buffer.push(ramp(9, 2));
    assert.equal(buffer.read(out), 4);
    assert.equal(buffer.read(out), 2, 'underrun: what is left, then silence');
    assert.deepEqual([...out], [9, 10, 0, 0]);
    assert.equal(buffer.stats().underruns, 1);
    // A sender far too fast: the buffer never exceeds its capacity and keeps the newest audio.
    for (let i = 0; i < 20; i++) buffer.push(ramp(100 + i * 4, 4));
    assert.ok(buffer.buffered <= 16, `${buffer.buffered} buffered`);
    assert.ok(buffer.stats().droppedSamples > 0);
    const rest: number[] = [];
    while (buffer.read(out) === 4) rest.push(...out);
    assert.equal(rest.at(-1), 100 + 19 * 4 + 3, 'the newest sample is kept');
  });

  it('drift-free clock: ticks at start + n × period whatever the lateness', async () => {
    let ticks = 0;
    const clock = new DriftFreeClock({ periodMs: 20, onTick: () => ticks++ });
    const keepAlive = setInterval(() => {}, 1000);
    const start = performance.now();
    clock.start();
    // Block the event loop for 70 ms: the late ticks are caught up, not lost.
    await new Promise((r) => setTimeout(r, 100));
    const blockUntil = performance.now() + 70;
    while (performance.now() < blockUntil) {}
    await new Promise((r) => setTimeout(r, 830));
    clock.stop();
    clearInterval(keepAlive);
    const expected = Math.floor((performance.now() - start) / 20);
    assert.ok(Math.abs(ticks - expected) <= 1, `${ticks} ticks, ${expected} due`);
  });

  it('active speaker: hysteresis and hold keep equal talkers from flapping', () => {
    const detector = new ActiveSpeakerDetector({ tickMs: 20, ...DEFAULT_ACTIVE_SPEAKER });
    const changes: string[] = [];
    const step = (levels: Record<string, number>, ticks: number) => {
      for (let i = 0; i < ticks; i++) {
        const c = detector.update(new Map(Object.entries(levels)));
        if (c) changes.push(c);
      }
    };
    step({ a: -20, b: -60 }, 10);
    assert.deepEqual(changes, [], 'not before the sustain time');
    step({ a: -20, b: -60 }, 10);
    assert.deepEqual(changes, ['a']);
    // b slightly louder than a, alternating by 2 dB: under the margin, no change.
    for (let i = 0; i < 50; i++) step(i % 2 ? { a: -18, b: -20 } : { a: -20, b: -18 }, 5);
    assert.deepEqual(changes, ['a']);
    step({ a: -20, b: -10 }, 50);
    assert.deepEqual(changes, ['a', 'b'], 'b louder by more than the margin for long enough');
    step({ a: -127, b: -127 }, 200);
    assert.deepEqual(changes, ['a', 'b'], 'silence keeps the last speaker');
    detector.remove('b');
    step({ a: -20 }, 20);
    assert.deepEqual(changes, ['a', 'b', 'a'], 'the speaker left: the next one is named');
  });
});
