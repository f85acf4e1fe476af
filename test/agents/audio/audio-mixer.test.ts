import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AudioMixer } from '../../../agents/audio/audio-mixer.js';
import { audioMixerOutputId } from '../../../agents/audio/protocol.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import {
  decodeAll,
  encodeOpus,
  FrameCollector,
  PacedSource,
  rmsOf,
  slice,
  toneAmplitude,
  toneSignal,
} from './audio-signals.js';

const SPEC = { room: 'room-1', controller: 'nobody', vad: false };

/** Publishes one paced source per participant and returns them with their stream ids. */
function publishInputs(router: MediaRouter, names: string[]) {
  return names.map((name) => {
    const source = new PacedSource();
    router.publish(`stream-${name}`, source);
    return { name, streamId: `stream-${name}`, source };
  });
}

function collect(router: MediaRouter, streamId: string): FrameCollector {
  const collector = new FrameCollector();
  router.subscribe(`collect-${streamId}`, collector);
  router.linkup(`collect-${streamId}`, streamId);
  return collector;
}

function assertMonotonic(frames: { timestamp: number }[], step: number): void {
  for (let i = 1; i < frames.length; i++) {
    const d = frames[i]!.timestamp - frames[i - 1]!.timestamp;
    assert.ok(d > 0, `timestamp ${i} goes back (${d})`);
    assert.ok(d % step === 0, `timestamp step ${d} is not a multiple of ${step}`);
  }
}

describe('audio mixer (real Opus in and out)', () => {
  const router = new MediaRouter();
  const mixers: AudioMixer[] = [];
  const newMixer = (mixerId: string, vad = false) => {
    const mixer = new AudioMixer({
      mixerId,
      spec: { ...SPEC, vad },
      router,
      onActiveAudio: () => {},
    });
    mixers.push(mixer);
    return mixer;
  };
  after(async () => {
    await Promise.all(mixers.map((m) => m.destroy()));
    router.close();
  });

  it('the full mix has every tone, a minus-one mix lacks its owner’s, G.711 works, time only grows', async () => {
    const mixer = newMixer('view-tones');
    const inputs = publishInputs(router, ['alice', 'bob', 'carol']);
    const tones = { alice: 440, bob: 1000, carol: 2500 } as Record<string, number>;
    for (const i of inputs) mixer.addInput(i.streamId, i.name);
    const full = { codec: 'opus', sampleRate: 48_000, channels: 2 } as const;
    const minusAlice = { ...full, exclude: 'alice' };
    const g711 = { codec: 'pcmu', sampleRate: 8000, channels: 1 } as const;
    const ids = [mixer.generate(full), mixer.generate(minusAlice), mixer.generate(g711)];
    assert.equal(mixer.generate(full), ids[0], 'generate is idempotent');
    assert.equal(ids[1], audioMixerOutputId('view-tones', minusAlice));
    const [fullOut, minusOut, g711Out] = ids.map((id) => collect(router, id));
    const signals = await Promise.all(
      inputs.map((i) =>
        encodeOpus(toneSignal([{ frequency: tones[i.name]!, amplitude: 6000, seconds: 2.5 }])),
      ),
    );
    await Promise.all(inputs.map((i, n) => i.source.play(signals[n]!)));
    await new Promise((r) => setTimeout(r, 200));

    for (const out of [fullOut!, minusOut!]) {
      assert.ok(out.frames.length >= 110, `${out.frames.length} opus frames in 2.7 s`);
      assert.ok(out.frames.every((f) => f.codec === 'opus' && f.clockRate === 48_000));
      assertMonotonic(out.frames, 960);
    }
    assertMonotonic(g711Out!.frames, 160);
    assert.ok(
      g711Out!.frames.every((f) => f.codec === 'pcmu' && f.clockRate === 8000 && f.payload.length === 160),
    );

    const fullPcm = slice(await decodeAll(fullOut!.frames, 'opus', 48_000, 2), 2, 48_000, 0.8, 2.0);
    const minusPcm = slice(await decodeAll(minusOut!.frames, 'opus', 48_000, 2), 2, 48_000, 0.8, 2.0);
    const g711Pcm = slice(await decodeAll(g711Out!.frames, 'pcmu', 8000, 1), 1, 8000, 0.8, 2.0);
    for (const name of ['alice', 'bob', 'carol']) {
      const f = tones[name]!;
      const inFull = toneAmplitude(fullPcm, 2, 48_000, f);
      const inMinus = toneAmplitude(minusPcm, 2, 48_000, f);
      const inG711 = toneAmplitude(g711Pcm, 1, 8000, f);
      assert.ok(inFull > 4500 && inFull < 7500, `${name}'s ${f} Hz in the full mix: ${inFull.toFixed(0)}`);
      assert.ok(inG711 > 4000 && inG711 < 8000, `${name}'s ${f} Hz in the G.711 mix: ${inG711.toFixed(0)}`);
      if (name === 'alice')
        assert.ok(inMinus < 150, `alice's own tone in her minus-one mix: ${inMinus.toFixed(0)}`);
      else
        assert.ok(
          inMinus > 4500 && inMinus < 7500,
          `${name}'s ${f} Hz in minus-alice: ${inMinus.toFixed(0)}`,
        );
    }
    // The tick met its budget (a few ticks may be skipped when the machine is very busy).
    const stats = mixer.stats();
    assert.ok(
      stats.outputs.every((o) => o.droppedTicks <= 5),
      JSON.stringify(stats.outputs),
    );
    assert.equal(stats.inputs.length, 3);
  });

  it('inputs at full scale are clipped, not wrapped', async () => {
    const mixer = newMixer('view-loud');
    const inputs = publishInputs(router, ['loud1', 'loud2']);
    for (const i of inputs) mixer.addInput(i.streamId, i.name);
    const out = collect(router, mixer.generate({ codec: 'opus', sampleRate: 48_000, channels: 2 }));
    const frames = await encodeOpus(toneSignal([{ frequency: 500, amplitude: 32_000, seconds: 1.5 }]));
    await Promise.all(inputs.map((i) => i.source.play(frames)));
    await new Promise((r) => setTimeout(r, 200));
    const pcm = slice(await decodeAll(out.frames, 'opus', 48_000, 2), 2, 48_000, 0.6, 1.4);
    // Clipped at ±32767, the sum (64000 peak) becomes nearly square: its 500 Hz component is
    // larger than either input's; wrapping around would fold it and scatter the energy.
    const fundamental = toneAmplitude(pcm, 2, 48_000, 500);
    assert.ok(fundamental > 32_000, `500 Hz component ${fundamental.toFixed(0)}`);
    let positiveRuns = 0;
    for (let i = 2; i < pcm.length; i += 2) if (pcm[i]! > 20_000 && pcm[i - 2]! > 20_000) positiveRuns++;
    assert.ok(
      positiveRuns > pcm.length / 2 / 4,
      'the tops of the wave stay at the top (no wrap to negative)',
    );
  });

  it('an input that stops is silence; with all inputs gone quiet the mixer keeps ticking', async () => {
    const mixer = newMixer('view-stop');
    const [a, b] = publishInputs(router, ['stop-a', 'stop-b']);
    mixer.addInput(a!.streamId, 'a');
    mixer.addInput(b!.streamId, 'b');
    const out = collect(router, mixer.generate({ codec: 'opus', sampleRate: 48_000, channels: 2 }));
    const toneA = await encodeOpus(toneSignal([{ frequency: 700, amplitude: 6000, seconds: 1 }]));
    const toneB = await encodeOpus(toneSignal([{ frequency: 1300, amplitude: 6000, seconds: 2 }]));
    const started = Date.now();
    await Promise.all([a!.source.play(toneA), b!.source.play(toneB)]);
    await new Promise((r) => setTimeout(r, 1000));
    const seconds = (Date.now() - started) / 1000;
    // 20 ms frames for the whole time, although the inputs stopped after 1 s and 2 s.
    assert.ok(out.frames.length >= (seconds - 0.3) * 50, `${out.frames.length} frames in ${seconds} s`);
    assertMonotonic(out.frames, 960);
    const pcm = await decodeAll(out.frames, 'opus', 48_000, 2);
    const bOnly = slice(pcm, 2, 48_000, 1.3, 1.9);
    assert.ok(toneAmplitude(bOnly, 2, 48_000, 700) < 150, 'a is silent after it stopped');
    assert.ok(toneAmplitude(bOnly, 2, 48_000, 1300) > 4500, 'b still plays');
    const end = pcm.length / 2 / 48_000;
    assert.ok(rmsOf(slice(pcm, 2, 48_000, end - 0.5, end)) < 30, 'silence at the end');
  });

  it('mixes a G.711 input (resampled to 48 kHz stereo) and bounds an input that sends too fast', async () => {
    const mixer = newMixer('view-formats');
    const [phone, fast] = publishInputs(router, ['phone', 'fast']);
    mixer.addInput(phone!.streamId, 'phone');
    mixer.addInput(fast!.streamId, 'fast');
    const out = collect(router, mixer.generate({ codec: 'opus', sampleRate: 48_000, channels: 2 }));
    const phoneFrames = await encodeOpus(
      toneSignal([{ frequency: 600, amplitude: 6000, seconds: 2 }], 8000, 1),
      {
        codec: 'pcmu',
        sampleRate: 8000,
        channels: 1,
      },
    );
    const fastFrames = await encodeOpus(toneSignal([{ frequency: 1500, amplitude: 6000, seconds: 4 }]));
    const started = Date.now();
    // 4 s of audio in 2 s: twice real time.
    await Promise.all([phone!.source.play(phoneFrames), fast!.source.play(fastFrames, undefined, 10)]);
    const seconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
    const input = mixer.stats().inputs.find((i) => i.streamId === fast!.streamId)!;
    assert.ok(input.droppedSamples > 48_000, `the fast input lost its oldest audio: ${input.droppedSamples}`);
    assert.ok(out.frames.length <= (seconds + 0.3) * 50, `the output stays real time: ${out.frames.length}`);
    const pcm = slice(await decodeAll(out.frames, 'opus', 48_000, 2), 2, 48_000, 0.6, 1.8);
    const phoneTone = toneAmplitude(pcm, 2, 48_000, 600);
    assert.ok(phoneTone > 4500 && phoneTone < 7500, `the G.711 tone in the mix: ${phoneTone.toFixed(0)}`);
    assert.ok(toneAmplitude(pcm, 2, 48_000, 1500) > 3000, 'the fast input is heard');
  });

  it('decodes nothing without outputs unless active speaker detection is on', async () => {
    const quiet = newMixer('view-idle', false);
    const listening = newMixer('view-vad', true);
    const [s] = publishInputs(router, ['idle']);
    quiet.addInput(s!.streamId, 'x');
    listening.addInput(s!.streamId, 'x');
    const frames = await encodeOpus(toneSignal([{ frequency: 300, amplitude: 6000, seconds: 0.5 }]));
    const playing = s!.source.play(frames);
    await new Promise((r) => setTimeout(r, 400));
    // A sine at amplitude 6000 is at −17.8 dBov.
    const level = listening.stats().inputs[0]!.level;
    assert.ok(level > -22 && level < -15, `level while playing ${level}`);
    await playing;
    assert.equal(quiet.stats().inputs[0]!.frames, 0, 'no output, no vad: frames are not decoded');
    assert.ok(listening.stats().inputs[0]!.frames >= 20, 'vad: frames are decoded');
  });

  it('an AAC output gives 1024-sample frames in real time', async () => {
    const mixer = newMixer('view-aac');
    const [s] = publishInputs(router, ['aac-in']);
    mixer.addInput(s!.streamId, 'x');
    const frames = await encodeOpus(toneSignal([{ frequency: 500, amplitude: 6000, seconds: 1 }]));
    const out = collect(router, mixer.generate({ codec: 'aac', sampleRate: 48_000, channels: 2 }));
    await s!.source.play(frames);
    assert.ok(out.frames.length >= 40 && out.frames.length <= 50, `${out.frames.length} AAC frames in 1 s`);
    assert.ok(out.frames.every((f) => f.codec === 'aac' && f.clockRate === 48_000 && f.payload.length > 0));
    assertMonotonic(out.frames, 1024);
  });

  it('destroy unpublishes the outputs and unsubscribes the inputs', async () => {
    const mixer = newMixer('view-destroy');
    const [s] = publishInputs(router, ['destroy']);
    mixer.addInput(s!.streamId, 'x');
    const id = mixer.generate({ codec: 'pcma', sampleRate: 8000, channels: 1 });
    assert.ok(router.hasStream(id));
    await mixer.destroy();
    assert.equal(router.hasStream(id), false);
    assert.equal(
      router.subscriptionList().some((sub) => sub.subscriptionId.startsWith('view-destroy/')),
      false,
    );
    assert.throws(() => mixer.addInput(s!.streamId, 'x'), /destroyed/);
  });
});
