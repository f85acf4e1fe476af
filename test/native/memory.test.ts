import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AudioDecoder,
  AudioEncoder,
  CodecError,
  Compositor,
  Resampler,
  Scaler,
  VideoDecoder,
  VideoEncoder,
} from '../../native/index.js';
import { sineWave, texturedPicture } from './native-test-helpers.js';

describe('native memory over long runs', () => {
  it('2000 encode/decode/scale/compose rounds (and damaged frames) keep RSS bounded', async (t) => {
    const w = 320;
    const h = 240;
    const encoder = new VideoEncoder({
      codec: 'vp8',
      width: w,
      height: h,
      bitrate: 600_000,
      framerate: 30,
      keyframeInterval: 50,
    });
    const decoder = new VideoDecoder('vp8');
    const scaler = new Scaler();
    const compositor = new Compositor();
    const audioEncoder = new AudioEncoder({ codec: 'opus', sampleRate: 48_000, channels: 2 });
    const audioDecoder = new AudioDecoder({ codec: 'opus', sampleRate: 48_000, channels: 2 });
    const resampler = new Resampler({ inRate: 48_000, inChannels: 2, outRate: 16_000, outChannels: 1 });
    t.after(() =>
      Promise.all([
        encoder.close(),
        decoder.close(),
        scaler.close(),
        compositor.close(),
        audioEncoder.close(),
        audioDecoder.close(),
        resampler.close(),
      ]),
    );
    const pictures = Array.from({ length: 8 }, (_, i) => texturedPicture(w, h, i));
    const audio = sineWave(440, 48_000, 2, 960);
    const rounds = 2000;
    const warmup = 300;
    let baseline = 0;
    let errors = 0;
    let decoded = 0;
    for (let i = 0; i < rounds; i++) {
      if (i === warmup) baseline = process.memoryUsage().rss;
      const frames = await encoder.encode(pictures[i % pictures.length]!, i * 3000, {
        keyframe: i % 97 === 0,
      });
      for (const f of frames) {
        // Every 10th frame damaged: error paths must free what they allocated too.
        const payload = i % 10 === 5 ? f.payload.subarray(0, f.payload.length >> 1) : f.payload;
        try {
          for (const p of await decoder.decode({ payload, timestamp: f.timestamp })) {
            decoded++;
            const small = await scaler.scale(p, 160, 120);
            await compositor.compose({ width: 640, height: 360, background: [16, 128, 128] }, [
              {
                image: p,
                crop: { x: 0, y: 0, width: w, height: h },
                dest: { x: 0, y: 0, width: 480, height: 360 },
              },
              {
                image: small,
                crop: { x: 0, y: 0, width: 160, height: 120 },
                dest: { x: 480, y: 0, width: 160, height: 120 },
              },
            ]);
          }
        } catch (err) {
          assert.ok(err instanceof CodecError);
          errors++;
        }
      }
      for (const a of await audioEncoder.encode(audio)) await audioDecoder.decode(a);
      await resampler.convert(audio);
    }
    const growthMb = (process.memoryUsage().rss - baseline) / 1e6;
    t.diagnostic(
      `RSS growth ${growthMb.toFixed(1)} MB; ${decoded} pictures, ${errors} damaged frames refused`,
    );
    assert.ok(decoded > rounds / 2, `${decoded} pictures decoded`);
    assert.ok(errors > 0, 'damaged frames reached the error path');
    // A leak of one picture per round would be ≥ 2000 × 115 kB = 230 MB.
    assert.ok(growthMb < 40, `RSS grew ${growthMb.toFixed(1)} MB over ${rounds - warmup} rounds`);
  });
});
