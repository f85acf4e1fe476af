/**
 * Run by decoder-fuzz.test.ts in a child process, so that a crash in native code is a clean
 * test failure instead of taking the test runner down. Feeds every decoder damaged frames
 * (truncations, bit flips, garbage, empty) between valid ones; prints a JSON summary.
 * argv: seed, rounds, [av1 ivf file]
 */
import { readFile } from 'node:fs/promises';
import {
  AudioDecoder,
  AudioEncoder,
  CodecError,
  type EncodableAudioCodec,
  type EncodableVideoCodec,
  VideoDecoder,
  VideoEncoder,
} from '../../native/index.js';
import { parseIvf, sineWave, testPattern } from './native-test-helpers.js';

const seed = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 300);
const av1File = process.argv[4];

let state = seed >>> 0 || 1;
function random(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 0x1_0000_0000;
}
const randInt = (n: number) => Math.floor(random() * n);

function damage(payload: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(payload);
  switch (randInt(5)) {
    case 0:
      return copy.subarray(0, randInt(copy.length));
    case 1: {
      const flips = 1 + randInt(8);
      for (let i = 0; i < flips && copy.length > 0; i++) copy[randInt(copy.length)]! ^= 1 << randInt(8);
      return copy;
    }
    case 2: {
      for (let i = randInt(copy.length); i < copy.length; i++) copy[i] = randInt(256);
      return copy;
    }
    case 3:
      return Uint8Array.from({ length: 1 + randInt(64) }, () => randInt(256));
    default: {
      // Keep the header bytes, damage the rest heavily.
      for (let i = Math.min(16, copy.length); i < copy.length; i += 1 + randInt(7)) copy[i] = randInt(256);
      return copy;
    }
  }
}

interface Outcome {
  decoded: number;
  empty: number;
  threw: number;
  recovered: boolean;
}

async function fuzz(
  frames: Uint8Array[],
  decode: (payload: Uint8Array) => Promise<number>,
  recover: () => Promise<number>,
): Promise<Outcome> {
  const outcome: Outcome = { decoded: 0, empty: 0, threw: 0, recovered: false };
  for (let i = 0; i < rounds; i++) {
    const frame = frames[randInt(frames.length)]!;
    const payload = random() < 0.7 ? damage(frame) : frame;
    try {
      const n = await decode(payload);
      if (n > 0) outcome.decoded++;
      else outcome.empty++;
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      outcome.threw++;
    }
  }
  outcome.recovered = (await recover()) > 0;
  return outcome;
}

async function videoCase(codec: EncodableVideoCodec): Promise<Outcome> {
  const encoder = new VideoEncoder({
    codec,
    width: 176,
    height: 144,
    bitrate: 400_000,
    framerate: 30,
    keyframeInterval: 10,
  });
  const frames: Uint8Array[] = [];
  let keyframe: Uint8Array | undefined;
  for (let i = 0; i < 20; i++) {
    for (const f of await encoder.encode(testPattern(176, 144, i), i * 3000)) {
      frames.push(f.payload);
      if (f.keyframe) keyframe ??= f.payload;
    }
  }
  await encoder.close();
  const decoder = new VideoDecoder(codec);
  const result = await fuzz(
    frames,
    async (payload) => (await decoder.decode({ payload, timestamp: 0 })).length,
    async () => {
      // H.264 may hold pictures back for reordering after damage: flush to see them.
      await decoder.flush().catch(() => []);
      const pictures = await decoder.decode({ payload: keyframe!, timestamp: 0 });
      return pictures.length + (await decoder.flush()).length;
    },
  );
  await decoder.close();
  return result;
}

async function av1Case(file: string): Promise<Outcome> {
  const frames = parseIvf(await readFile(file)).map((f) => f.payload);
  const decoder = new VideoDecoder('av1');
  const result = await fuzz(
    frames,
    async (payload) => (await decoder.decode({ payload, timestamp: 0 })).length,
    async () => {
      await decoder.flush().catch(() => []);
      const pictures = await decoder.decode({ payload: frames[0]!, timestamp: 0 });
      return pictures.length + (await decoder.flush()).length;
    },
  );
  await decoder.close();
  return result;
}

async function audioCase(codec: EncodableAudioCodec, sampleRate: number): Promise<Outcome> {
  const encoder = new AudioEncoder({ codec, sampleRate, channels: 2 });
  const frames = (await encoder.encode(sineWave(440, sampleRate, 2, sampleRate / 2))).map((f) => f.payload);
  const extradata = encoder.extradata.length > 0 ? encoder.extradata : undefined;
  await encoder.close();
  const decoder = new AudioDecoder({ codec, sampleRate, channels: 2, extradata });
  const result = await fuzz(
    frames,
    async (payload) => (await decoder.decode({ payload })).samples.length,
    async () => {
      let n = 0;
      for (const f of frames.slice(0, 4))
        n += (await decoder.decode({ payload: f }).catch(() => ({ samples: [] }))).samples.length;
      return n;
    },
  );
  await decoder.close();
  return result;
}

const summary: Record<string, Outcome> = {};
for (const codec of ['vp8', 'vp9', 'h264'] as const) summary[codec] = await videoCase(codec);
if (av1File) summary.av1 = await av1Case(av1File);
summary.opus = await audioCase('opus', 48_000);
summary.aac = await audioCase('aac', 48_000);
summary.pcmu = await audioCase('pcmu', 8000);
summary.pcma = await audioCase('pcma', 8000);
process.stdout.write(`${JSON.stringify({ seed, rounds, summary })}\n`);
