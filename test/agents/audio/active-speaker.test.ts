import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { AudioMixer } from '../../../agents/audio/audio-mixer.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { encodeOpus, PacedSource, sineAmplitudeFor, type ToneSegment, toneSignal } from './audio-signals.js';

const LOUD = sineAmplitudeFor(-10);
const QUIET = sineAmplitudeFor(-50);

/** Speech-like: 200 ms syllables with 50 ms pauses. */
const talk = (frequency: number, amplitude: number, seconds: number): ToneSegment => ({
  frequency,
  amplitude,
  seconds,
  burstMs: 200,
  gapMs: 50,
});
const hum = (frequency: number, amplitude: number, seconds: number): ToneSegment => ({
  frequency,
  amplitude,
  seconds,
});
const silence = (seconds: number): ToneSegment => ({ frequency: 100, amplitude: 0, seconds });

describe('active speaker detection (VAD on real Opus inputs)', () => {
  const router = new MediaRouter();
  const mixers: AudioMixer[] = [];
  after(async () => {
    await Promise.all(mixers.map((m) => m.destroy()));
    router.close();
  });

  /** Plays one signal per participant into a vad mixer (no outputs); returns the events with times. */
  async function run(mixerId: string, signals: Record<string, ToneSegment[]>) {
    const events: { streamId: string; at: number }[] = [];
    let start = 0;
    const mixer = new AudioMixer({
      mixerId,
      spec: { room: 'r', controller: 'c', vad: true },
      router,
      onActiveAudio: (_m, streamId) => events.push({ streamId, at: (performance.now() - start) / 1000 }),
    });
    mixers.push(mixer);
    const players = await Promise.all(
      Object.entries(signals).map(async ([name, segments]) => {
        const source = new PacedSource();
        router.publish(`${mixerId}-${name}`, source);
        mixer.addInput(`${mixerId}-${name}`, name);
        return { source, frames: await encodeOpus(toneSignal(segments)) };
      }),
    );
    start = performance.now();
    await Promise.all(players.map((p) => p.source.play(p.frames)));
    await new Promise((r) => setTimeout(r, 300));
    return { events, mixer };
  }

  it('names the loud participant within 1 s, follows the floor, keeps the last speaker in silence', async (t) => {
    const { events, mixer } = await run('vad-switch', {
      a: [talk(1000, LOUD, 2), hum(1000, QUIET, 3), silence(2)],
      b: [hum(700, QUIET, 2), talk(700, LOUD, 3), silence(2)],
      c: [hum(400, QUIET, 5), silence(2)],
    });
    const text = JSON.stringify(events);
    t.diagnostic(`events: ${text}`);
    assert.equal(events.length, 2, `exactly two changes: ${text}`);
    assert.equal(events[0]!.streamId, 'vad-switch-a');
    assert.ok(events[0]!.at < 1, `a named after ${events[0]!.at.toFixed(2)} s`);
    assert.equal(events[1]!.streamId, 'vad-switch-b');
    assert.ok(
      events[1]!.at > 2 && events[1]!.at < 3.5,
      `b named ${(events[1]!.at - 2).toFixed(2)} s after it began`,
    );
    // Everyone silent for the last 2 s: no event, and the last speaker is kept.
    assert.equal(mixer.activeSpeaker, 'vad-switch-b');
    const levels = mixer.stats().inputs.map((i) => i.level);
    assert.ok(
      levels.every((l) => l < -60),
      `levels after the silence: ${levels}`,
    );
  });

  it('does not flap between two participants speaking at the same level', async () => {
    const { events } = await run('vad-equal', {
      a: [talk(600, LOUD, 4)],
      b: [talk(900, LOUD, 4)],
      c: [hum(300, QUIET, 4)],
    });
    assert.equal(events.length, 1, `one speaker named, then kept: ${JSON.stringify(events)}`);
    assert.notEqual(events[0]!.streamId, 'vad-equal-c');
  });
});
