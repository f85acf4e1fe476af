import { performance } from 'node:perf_hooks';
import type { MediaSink, MediaSource } from '../../../common/media/media-endpoint.js';
import type { AudioFrame, MediaFrame } from '../../../common/media/media-frame.js';
import { AudioDecoder, AudioEncoder, type DecodableAudioCodec } from '../../../native/index.js';

/** dBov → RMS of a sine at that level (0 dBov = full-scale square wave). */
export function sineAmplitudeFor(dbov: number): number {
  return 32768 * 10 ** (dbov / 20) * Math.SQRT2;
}

/** One segment of a test signal: a tone (or silence when amplitude is 0) for `seconds`. */
export interface ToneSegment {
  frequency: number;
  amplitude: number;
  seconds: number;
  /** Tone bursts: on for `burstMs`, off for `gapMs` (speech-like syllables). */
  burstMs?: number;
  gapMs?: number;
}

/** Interleaved 48 kHz stereo s16 of the segments one after another. */
export function toneSignal(segments: ToneSegment[], sampleRate = 48_000, channels = 2): Int16Array {
  const total = segments.reduce((n, s) => n + Math.round(s.seconds * sampleRate), 0);
  const out = new Int16Array(total * channels);
  let at = 0;
  for (const s of segments) {
    const n = Math.round(s.seconds * sampleRate);
    const cycle = s.burstMs ? ((s.burstMs + (s.gapMs ?? 0)) * sampleRate) / 1000 : 0;
    const on = s.burstMs ? (s.burstMs * sampleRate) / 1000 : 0;
    for (let i = 0; i < n; i++) {
      const audible = !cycle || i % cycle < on;
      const v = audible
        ? Math.round(s.amplitude * Math.sin((2 * Math.PI * s.frequency * (at + i)) / sampleRate))
        : 0;
      const clipped = Math.max(-32768, Math.min(32767, v));
      for (let c = 0; c < channels; c++) out[(at + i) * channels + c] = clipped;
    }
    at += n;
  }
  return out;
}

/** Encodes PCM with a native encoder (48 kHz stereo Opus by default); timestamps start at 0. */
export async function encodeOpus(
  pcm: Int16Array,
  format: { codec: 'opus' | 'pcmu' | 'pcma'; sampleRate: number; channels: number } = {
    codec: 'opus',
    sampleRate: 48_000,
    channels: 2,
  },
): Promise<AudioFrame[]> {
  const encoder = new AudioEncoder(format);
  try {
    const frames = await encoder.encode(pcm);
    for (const f of frames) f.timestamp += encoder.delay;
    return frames;
  } finally {
    await encoder.close();
  }
}

/** Decodes frames back to interleaved PCM (one chunk after another). */
export async function decodeAll(
  frames: readonly AudioFrame[],
  codec: DecodableAudioCodec,
  sampleRate: number,
  channels: number,
): Promise<Int16Array> {
  const decoder = new AudioDecoder({ codec, sampleRate, channels });
  try {
    const chunks: Int16Array[] = [];
    for (const f of frames) chunks.push((await decoder.decode(f)).samples);
    const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    await decoder.close();
  }
}

/** Amplitude of the `frequency` component of one channel (Goertzel over the whole slice). */
export function toneAmplitude(
  samples: Int16Array,
  channels: number,
  sampleRate: number,
  frequency: number,
  channel = 0,
): number {
  const n = Math.floor(samples.length / channels);
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i * channels + channel]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

export function rmsOf(samples: Int16Array): number {
  let e = 0;
  for (const v of samples) e += v * v;
  return Math.sqrt(e / Math.max(1, samples.length));
}

/** The part of interleaved audio between two times (seconds). */
export function slice(samples: Int16Array, channels: number, sampleRate: number, from: number, to: number) {
  return samples.subarray(Math.round(from * sampleRate) * channels, Math.round(to * sampleRate) * channels);
}

/** A router source that plays prepared frames in real time (one every frame duration). */
export class PacedSource implements MediaSource {
  readonly type = 'test-paced';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private stopped = false;

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
  }

  /** Sends frame i at start + i × periodMs (drift-free); `skip(i)` true leaves a frame out. */
  async play(
    frames: readonly AudioFrame[],
    skip: (index: number) => boolean = () => false,
    periodMs = 20,
  ): Promise<void> {
    const start = performance.now();
    for (let i = 0; i < frames.length && !this.stopped; i++) {
      const wait = start + i * periodMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!skip(i)) this.deliver?.(frames[i]!);
    }
  }

  onFeedback(): void {}

  close(): void {
    this.stopped = true;
    this.deliver = undefined;
  }
}

/** A router sink that keeps every audio frame it gets, with its arrival time. */
export class FrameCollector implements MediaSink {
  readonly type = 'test-collector';
  readonly frames: AudioFrame[] = [];
  readonly arrivals: number[] = [];

  onLinkup(): void {}
  onCutoff(): void {}
  onFrame(frame: MediaFrame): void {
    if (frame.kind !== 'audio') return;
    this.frames.push(frame);
    this.arrivals.push(performance.now());
  }
  close(): void {}
}
