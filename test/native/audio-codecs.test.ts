import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AudioDecoder,
  AudioEncoder,
  type AudioEncoderOptions,
  CodecError,
  Resampler,
} from '../../native/index.js';
import { dominantFrequency, rms, sineWave } from './native-test-helpers.js';

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const CASES: Array<AudioEncoderOptions & { frequency: number; frameBytes?: number }> = [
  { codec: 'opus', sampleRate: 48_000, channels: 1, bitrate: 32_000, frequency: 440 },
  { codec: 'opus', sampleRate: 48_000, channels: 2, bitrate: 64_000, frequency: 1000 },
  { codec: 'aac', sampleRate: 48_000, channels: 2, bitrate: 128_000, frequency: 440 },
  { codec: 'aac', sampleRate: 44_100, channels: 1, bitrate: 64_000, frequency: 1000 },
  { codec: 'pcmu', sampleRate: 8000, channels: 1, frequency: 440, frameBytes: 160 },
  { codec: 'pcma', sampleRate: 8000, channels: 1, frequency: 1000, frameBytes: 160 },
];

describe('native audio codecs', () => {
  for (const c of CASES) {
    it(`${c.codec} ${c.sampleRate} Hz x${c.channels}: a sine wave comes back at its frequency and level`, async (t) => {
      const encoder = new AudioEncoder(c);
      const decoder = new AudioDecoder({
        codec: c.codec,
        sampleRate: c.sampleRate,
        channels: c.channels,
        extradata: encoder.extradata.length > 0 ? encoder.extradata : undefined,
      });
      t.after(() => Promise.all([encoder.close(), decoder.close()]));
      if (c.codec === 'aac') assert.ok(encoder.extradata.length >= 2, 'AudioSpecificConfig');
      const seconds = 1;
      const input = sineWave(c.frequency, c.sampleRate, c.channels, c.sampleRate * seconds);
      // Fed in odd-sized pieces: the encoder must gather whole frames itself.
      const frames = [];
      for (let at = 0; at < input.length; ) {
        const n = Math.min(input.length - at, c.channels * 317);
        frames.push(...(await encoder.encode(input.subarray(at, at + n))));
        at += n;
      }
      const expectedFrames = Math.floor((c.sampleRate * seconds) / encoder.frameSize);
      assert.ok(
        frames.length >= expectedFrames - 3 && frames.length <= expectedFrames,
        `${frames.length} frames`,
      );
      for (const f of frames) {
        assert.equal(f.kind, 'audio');
        assert.equal(f.codec, c.codec);
        assert.equal(f.sampleRate, c.sampleRate);
        assert.equal(f.channels, c.channels);
        if (c.frameBytes) assert.equal(f.payload.length, c.frameBytes, 'G.711: one byte per sample, 20 ms');
      }
      const decoded: Int16Array[] = [];
      for (const f of frames) {
        const pcm = await decoder.decode(f);
        assert.equal(pcm.channels, c.channels);
        assert.equal(pcm.sampleRate, c.sampleRate);
        decoded.push(pcm.samples);
      }
      const all = concat(decoded);
      // Skip the encoder's start-up (delay and the first frames) and compare a steady part.
      const skip = (encoder.delay + 2 * encoder.frameSize) * c.channels;
      const steady = all.subarray(skip, all.length - encoder.frameSize * c.channels);
      assert.ok(steady.length > (c.sampleRate / 4) * c.channels, 'enough decoded audio');
      for (let ch = 0; ch < c.channels; ch++) {
        const f = dominantFrequency(steady, c.channels, c.sampleRate, ch);
        assert.ok(Math.abs(f - c.frequency) / c.frequency < 0.01, `channel ${ch}: ${f.toFixed(1)} Hz`);
        const level = rms(steady, c.channels, ch);
        const expected = 10_000 / Math.SQRT2;
        assert.ok(Math.abs(level - expected) / expected < 0.2, `channel ${ch}: rms ${level.toFixed(0)}`);
      }
    });
  }

  it('a damaged or closed decoder fails with CodecError', async (t) => {
    const decoder = new AudioDecoder({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    t.after(() => decoder.close());
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 5; i++)
          await decoder.decode({ payload: new Uint8Array([0xff, 0xff, 0xff, 0x00, i]) });
      })(),
      CodecError,
    );
    assert.throws(() => new AudioEncoder({ codec: 'opus', sampleRate: 44_100, channels: 1 }), CodecError);
    const encoder = new AudioEncoder({ codec: 'pcmu', sampleRate: 8000, channels: 2 });
    await assert.rejects(encoder.encode(new Int16Array(3)), CodecError);
    await encoder.close();
    await assert.rejects(encoder.encode(new Int16Array(4)), CodecError);
  });
});

describe('native resampler', () => {
  const cases = [
    { inRate: 48_000, inChannels: 1, outRate: 16_000, outChannels: 1, frequency: 440 },
    { inRate: 44_100, inChannels: 2, outRate: 48_000, outChannels: 1, frequency: 1000 },
    { inRate: 8000, inChannels: 1, outRate: 48_000, outChannels: 2, frequency: 300 },
  ];
  for (const c of cases) {
    it(`${c.inRate} Hz x${c.inChannels} → ${c.outRate} Hz x${c.outChannels} keeps frequency, level and length`, async (t) => {
      const resampler = new Resampler(c);
      t.after(() => resampler.close());
      const input = sineWave(c.frequency, c.inRate, c.inChannels, c.inRate);
      const chunks: Int16Array[] = [];
      const chunk = (c.inRate / 100) * c.inChannels; // 10 ms pieces, as a mixer feeds it
      for (let at = 0; at < input.length; at += chunk)
        chunks.push(await resampler.convert(input.subarray(at, at + chunk)));
      const out = concat(chunks);
      const frames = out.length / c.outChannels;
      assert.ok(Number.isInteger(frames));
      assert.ok(Math.abs(frames - c.outRate) < c.outRate * 0.01, `${frames} samples for one second`);
      const steady = out.subarray((c.outRate / 10) * c.outChannels);
      for (let ch = 0; ch < c.outChannels; ch++) {
        const f = dominantFrequency(steady, c.outChannels, c.outRate, ch);
        assert.ok(Math.abs(f - c.frequency) / c.frequency < 0.01, `${f.toFixed(1)} Hz`);
        const level = rms(steady, c.outChannels, ch);
        assert.ok(Math.abs(level - 10_000 / Math.SQRT2) < 10_000 * 0.1, `rms ${level.toFixed(0)}`);
      }
    });
  }
});
