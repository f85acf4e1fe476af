import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type I420Image, i420Planes, i420Size } from '../../native/index.js';

const run = promisify(execFile);

/**
 * A picture with structure the codecs must preserve: a luma ramp plus a bright box whose
 * position depends on `frame`, and smooth chroma gradients.
 */
export function testPattern(width: number, height: number, frame = 0): I420Image {
  const data = new Uint8Array(i420Size(width, height));
  const image = { width, height, data };
  const p = i420Planes(image);
  const boxX = (frame * 4) % Math.max(1, width - width / 4);
  const boxY = (frame * 2) % Math.max(1, height - height / 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inBox = x >= boxX && x < boxX + width / 4 && y >= boxY && y < boxY + height / 4;
      p.y[y * p.strideY + x] = inBox ? 230 : 30 + Math.floor((180 * x) / width);
    }
  }
  const cw = p.strideUV;
  const ch = (height + 1) >> 1;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      p.u[y * cw + x] = 64 + Math.floor((128 * y) / ch);
      p.v[y * cw + x] = 64 + Math.floor((128 * x) / cw);
    }
  }
  return image;
}

/**
 * The test pattern with moderate noise on luma: costly enough that the encoder's size follows
 * its target bitrate (pure noise is beyond any real-time target, flat pictures below it).
 */
export function texturedPicture(width: number, height: number, frame: number): I420Image {
  const image = testPattern(width, height, frame);
  let s = (frame * 7919 + 1) >>> 0;
  for (let i = 0; i < width * height; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    image.data[i] = Math.max(0, Math.min(255, image.data[i]! + ((s & 31) - 16)));
  }
  return image;
}

/** Interleaved s16 sine wave. */
export function sineWave(
  frequency: number,
  sampleRate: number,
  channels: number,
  samples: number,
  amplitude = 10000,
) {
  const out = new Int16Array(samples * channels);
  for (let i = 0; i < samples; i++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}

/** The dominant frequency of one channel, from its zero crossings (good for a pure tone). */
export function dominantFrequency(
  samples: Int16Array,
  channels: number,
  sampleRate: number,
  channel = 0,
): number {
  let crossings = 0;
  let first = -1;
  let last = -1;
  let prev = samples[channel]!;
  for (let i = 1; i < samples.length / channels; i++) {
    const cur = samples[i * channels + channel]!;
    if (prev < 0 && cur >= 0) {
      if (first < 0) first = i;
      last = i;
      crossings++;
    }
    prev = cur;
  }
  if (crossings < 2) return 0;
  return ((crossings - 1) * sampleRate) / (last - first);
}

/** Root mean square of one channel. */
export function rms(samples: Int16Array, channels: number, channel = 0): number {
  let sum = 0;
  const n = Math.floor(samples.length / channels);
  for (let i = 0; i < n; i++) sum += samples[i * channels + channel]! ** 2;
  return Math.sqrt(sum / Math.max(1, n));
}

/** Frames of an IVF file (VP8/VP9/AV1 as ffmpeg writes them). */
export function parseIvf(file: Uint8Array): Array<{ payload: Uint8Array; timestamp: number }> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (String.fromCharCode(...file.subarray(0, 4)) !== 'DKIF') throw new Error('not an IVF file');
  const headerLength = view.getUint16(6, true);
  const frames: Array<{ payload: Uint8Array; timestamp: number }> = [];
  let at = headerLength;
  while (at + 12 <= file.length) {
    const size = view.getUint32(at, true);
    const timestamp = Number(view.getBigUint64(at + 4, true));
    frames.push({ payload: file.subarray(at + 12, at + 12 + size), timestamp });
    at += 12 + size;
  }
  return frames;
}

/** Splits an H.264 Annex B stream written with access unit delimiters into access units. */
export function splitAnnexBAccessUnits(stream: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 4 < stream.length; i++) {
    // 00 00 00 01 09: an access unit delimiter NAL starts each picture.
    if (
      stream[i] === 0 &&
      stream[i + 1] === 0 &&
      stream[i + 2] === 0 &&
      stream[i + 3] === 1 &&
      (stream[i + 4]! & 0x1f) === 9
    ) {
      starts.push(i);
    }
  }
  return starts.map((s, k) => stream.subarray(s, k + 1 < starts.length ? starts[k + 1] : stream.length));
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { timeout: 60_000 });
}
