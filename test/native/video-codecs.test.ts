import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CodecError,
  type EncodableVideoCodec,
  nativeCapabilities,
  psnrI420,
  VideoDecoder,
  VideoEncoder,
} from '../../native/index.js';
import {
  ffmpeg,
  parseIvf,
  splitAnnexBAccessUnits,
  testPattern,
  texturedPicture,
} from './native-test-helpers.js';

const CODECS: EncodableVideoCodec[] = ['vp8', 'vp9', 'h264'];

describe('native video codecs', () => {
  it('reports the codecs of this machine', () => {
    const caps = nativeCapabilities();
    assert.equal(caps.available, true, 'addon built (scripts/setup.sh or node-gyp rebuild in native/)');
    for (const c of ['vp8', 'vp9', 'h264']) {
      assert.ok(caps.decoders.includes(c), `decoder ${c}`);
      assert.ok(caps.encoders.includes(c), `encoder ${c}`);
    }
    for (const c of ['opus', 'aac', 'pcmu', 'pcma'])
      assert.ok(caps.encoders.includes(c) && caps.decoders.includes(c));
  });

  for (const codec of CODECS) {
    it(`${codec}: encodes a synthetic pattern and decodes it back (size, timestamps, PSNR)`, async (t) => {
      const width = 320;
      const height = 240;
      const encoder = new VideoEncoder({
        codec,
        width,
        height,
        bitrate: 1_500_000,
        framerate: 30,
        keyframeInterval: 30,
      });
      const decoder = new VideoDecoder(codec);
      t.after(() => Promise.all([encoder.close(), decoder.close()]));
      const psnrs: number[] = [];
      let frames = 0;
      for (let i = 0; i < 20; i++) {
        const picture = testPattern(width, height, i);
        const encoded = await encoder.encode(picture, 1000 + i * 3000);
        for (const frame of encoded) {
          assert.equal(frame.kind, 'video');
          assert.equal(frame.codec, codec);
          assert.equal(frame.clockRate, 90_000);
          assert.equal(frame.timestamp, 1000 + i * 3000, 'timestamp carried through (no reordering)');
          if (i === 0) assert.equal(frame.keyframe, true, 'the first frame is a keyframe');
          assert.ok(frame.payload.length > 0);
          const pictures = await decoder.decode(frame);
          for (const p of pictures) {
            assert.equal(p.width, width);
            assert.equal(p.height, height);
            assert.equal(p.timestamp, frame.timestamp);
            psnrs.push(psnrI420(p, picture));
            frames++;
          }
        }
      }
      assert.ok(frames >= 19, `decoded ${frames} of 20 frames`);
      const mean = psnrs.reduce((a, b) => a + b, 0) / psnrs.length;
      assert.ok(mean > 30, `${codec} mean PSNR ${mean.toFixed(1)} dB`);
    });

    it(`${codec}: keyframes on request and at the keyframe interval, none otherwise`, async (t) => {
      const encoder = new VideoEncoder({
        codec,
        width: 160,
        height: 120,
        bitrate: 300_000,
        framerate: 30,
        keyframeInterval: 10,
      });
      t.after(() => encoder.close());
      const keyframes: number[] = [];
      for (let i = 0; i < 25; i++) {
        if (i === 14) encoder.requestKeyframe();
        const out = await encoder.encode(testPattern(160, 120, i), i * 3000, { keyframe: i === 7 });
        if (out.some((f) => f.keyframe)) keyframes.push(i);
      }
      // The interval counts from the last keyframe, forced ones included.
      assert.deepEqual(keyframes, [0, 7, 14, 24]);
    });
  }

  for (const codec of CODECS) {
    it(`${codec}: a bitrate change at run time changes the output size`, async (t) => {
      const width = 320;
      const height = 240;
      const encoder = new VideoEncoder({ codec, width, height, bitrate: 1_600_000, framerate: 30 });
      t.after(() => encoder.close());
      const bytes = async (from: number, count: number) => {
        let total = 0;
        for (let i = from; i < from + count; i++) {
          for (const f of await encoder.encode(texturedPicture(width, height, i), i * 3000)) {
            if (!f.keyframe) total += f.payload.length;
          }
        }
        return total;
      };
      await bytes(0, 10); // let rate control settle
      const high = await bytes(10, 30);
      encoder.setBitrate(200_000);
      await bytes(40, 10);
      const low = await bytes(50, 30);
      // 30 frames at 30 fps = one second: bytes × 8 ≈ the target in bits per second.
      assert.ok(
        high * 8 > 800_000 && high * 8 < 2_400_000,
        `${codec}: ${high * 8} bit/s at a 1.6 Mb/s target`,
      );
      assert.ok(low < high / 3, `${codec}: ${high} bytes at 1.6 Mb/s, ${low} bytes at 200 kb/s`);
    });
  }

  it('refuses a picture of the wrong size and bad options with CodecError', async (t) => {
    const encoder = new VideoEncoder({
      codec: 'vp8',
      width: 160,
      height: 120,
      bitrate: 300_000,
      framerate: 30,
    });
    t.after(() => encoder.close());
    await assert.rejects(encoder.encode(testPattern(320, 240), 0), CodecError);
    assert.throws(
      () => new VideoEncoder({ codec: 'vp8', width: 161, height: 120, bitrate: 300_000, framerate: 30 }),
      CodecError,
    );
    assert.throws(() => new VideoDecoder('h265'), CodecError);
    const decoder = new VideoDecoder('vp8');
    await decoder.close();
    await assert.rejects(decoder.decode({ payload: new Uint8Array(10), timestamp: 0 }), CodecError);
  });
});

describe('native video decoders on streams made by the ffmpeg command', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediaspread-native-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const source = [
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=352x288:rate=30',
    '-frames:v',
    '15',
    '-pix_fmt',
    'yuv420p',
  ];
  const ivfCases: Array<{ codec: 'vp8' | 'vp9' | 'av1'; args: string[] }> = [
    { codec: 'vp8', args: ['-c:v', 'libvpx', '-b:v', '800k'] },
    { codec: 'vp9', args: ['-c:v', 'libvpx-vp9', '-b:v', '800k', '-deadline', 'realtime', '-cpu-used', '8'] },
    { codec: 'av1', args: ['-c:v', 'libaom-av1', '-b:v', '800k', '-cpu-used', '8', '-usage', 'realtime'] },
  ];

  for (const { codec, args } of ivfCases) {
    it(`${codec}: decodes every frame of an IVF file to 352x288 I420`, async (t) => {
      const file = join(dir, `${codec}.ivf`);
      await ffmpeg([...source, ...args, '-f', 'ivf', file]);
      const frames = parseIvf(await readFile(file));
      assert.equal(frames.length, 15);
      const decoder = new VideoDecoder(codec);
      t.after(() => decoder.close());
      let pictures = 0;
      for (const f of frames) {
        for (const p of await decoder.decode(f)) {
          assert.equal(p.width, 352);
          assert.equal(p.height, 288);
          assert.equal(p.data.length, (352 * 288 * 3) / 2);
          pictures++;
        }
      }
      pictures += (await decoder.flush()).length;
      assert.equal(pictures, 15);
    });
  }

  it('h264: decodes an Annex B stream from libx264 (with B-frames, in presentation order)', async (t) => {
    const file = join(dir, 'x.h264');
    await ffmpeg([...source, '-c:v', 'libx264', '-bf', '2', '-x264-params', 'aud=1', '-f', 'h264', file]);
    const units = splitAnnexBAccessUnits(await readFile(file));
    assert.equal(units.length, 15);
    const decoder = new VideoDecoder('h264');
    t.after(() => decoder.close());
    const timestamps: number[] = [];
    for (const [i, payload] of units.entries()) {
      for (const p of await decoder.decode({ payload, timestamp: i })) {
        assert.equal(p.width, 352);
        assert.equal(p.height, 288);
        timestamps.push(p.timestamp);
      }
    }
    for (const p of await decoder.flush()) timestamps.push(p.timestamp);
    assert.equal(timestamps.length, 15);
  });
});
