import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AudioTranscoder } from '../../../agents/audio/audio-transcoder.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import {
  decodeAll,
  encodeOpus,
  FrameCollector,
  PacedSource,
  slice,
  toneAmplitude,
  toneSignal,
} from './audio-signals.js';

describe('audio transcoder', () => {
  const router = new MediaRouter();
  const transcoders: AudioTranscoder[] = [];
  after(async () => {
    await Promise.all(transcoders.map((t) => t.close()));
    router.close();
  });

  it('opus 48 kHz stereo → pcmu 8 kHz mono keeps the tone; an input gap is a timestamp gap', async () => {
    const source = new PacedSource();
    router.publish('mic', source);
    const transcoder = new AudioTranscoder(
      'mic-pcmu',
      'mic',
      { codec: 'pcmu', sampleRate: 8000, channels: 1 },
      router,
    );
    transcoders.push(transcoder);
    transcoder.start();
    const collector = new FrameCollector();
    router.subscribe('listen', collector);
    router.linkup('listen', 'mic-pcmu');
    const frames = await encodeOpus(toneSignal([{ frequency: 440, amplitude: 8000, seconds: 2 }]));
    // Frames 60–69 (1.2–1.4 s) never arrive, as with DTX or loss.
    await source.play(frames, (i) => i >= 60 && i < 70);
    await new Promise((r) => setTimeout(r, 200));

    const out = collector.frames;
    assert.ok(out.length >= 85 && out.length <= 92, `${out.length} G.711 frames for 1.8 s of input`);
    assert.ok(out.every((f) => f.codec === 'pcmu' && f.clockRate === 8000 && f.channels === 1));
    assert.ok(out.every((f) => f.payload.length === 160));
    const steps = out.slice(1).map((f, i) => f.timestamp - out[i]!.timestamp);
    assert.ok(
      steps.every((d) => d >= 160),
      `timestamps grow by a frame at least: ${steps.filter((d) => d < 160)}`,
    );
    const jumps = steps.filter((d) => d > 160);
    assert.equal(jumps.length, 1, `one gap: ${jumps}`);
    assert.ok(
      Math.abs(jumps[0]! - 160 - 1600) <= 160,
      `the gap is 200 ms (1600 samples): ${jumps[0]! - 160}`,
    );

    const pcm = slice(await decodeAll(out, 'pcmu', 8000, 1), 1, 8000, 0.3, 1.1);
    const tone = toneAmplitude(pcm, 1, 8000, 440);
    assert.ok(tone > 7000 && tone < 9000, `440 Hz at ${tone.toFixed(0)} (sent at 8000)`);
    assert.ok(toneAmplitude(pcm, 1, 8000, 1000) < 200, 'no other tone');
    assert.equal(transcoder.stats().frames, out.length);
  });

  it('close unlinks and unpublishes', async () => {
    const source = new PacedSource();
    router.publish('mic2', source);
    const transcoder = new AudioTranscoder(
      'mic2-opus',
      'mic2',
      { codec: 'opus', sampleRate: 16_000, channels: 1 },
      router,
    );
    transcoder.start();
    assert.ok(router.hasStream('mic2-opus'));
    await transcoder.close();
    assert.equal(router.hasStream('mic2-opus'), false);
    assert.equal(router.streams().find((s) => s.streamId === 'mic2')!.subscriptions.length, 0);
  });

  it('an input stream that does not exist leaves nothing behind', () => {
    const transcoder = new AudioTranscoder(
      'ghost-out',
      'ghost',
      { codec: 'pcma', sampleRate: 8000, channels: 1 },
      router,
    );
    assert.throws(() => transcoder.start(), /not published/);
    assert.equal(router.hasStream('ghost-out'), false);
    assert.equal(
      router.subscriptionList().some((s) => s.subscriptionId.startsWith('ghost-out')),
      false,
    );
    return transcoder.close();
  });
});
