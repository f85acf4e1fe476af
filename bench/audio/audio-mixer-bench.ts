/**
 * Audio mixer CPU per participant, in real time on one core. Each participant sends one Opus
 * stream (48 kHz stereo, 20 ms frames, its own tone) that the mixer decodes, and gets its own
 * minus-one Opus output encoded (VAD on, as in a room). Baseline in the same run: the same N
 * streams each decoded and encoded again without mixing (a transcoder's work), same feed.
 * CPU is the process's (event loop + libuv codec threads), pinned to one core with taskset.
 * Usage: node dist/bench/audio/audio-mixer-bench.js [seconds per case, default 8] [participants… default 5 20 50]
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { AudioMixer } from '../../agents/audio/audio-mixer.js';
import { DriftFreeClock } from '../../agents/audio/drift-free-clock.js';
import { FrameToPcm } from '../../agents/audio/frame-to-pcm.js';
import { PcmEncoder } from '../../agents/audio/pcm-encoder.js';
import type { MediaSink, MediaSource } from '../../common/media/media-endpoint.js';
import type { AudioFrame, MediaFrame } from '../../common/media/media-frame.js';
import { MediaRouter } from '../../common/media/media-router.js';
import { AudioEncoder } from '../../native/index.js';

const seconds = Number(process.argv[2] ?? 8);
const counts = process.argv.slice(3).map(Number);
const PARTICIPANTS = counts.length > 0 ? counts : [5, 20, 50];
const WARMUP_S = 1.5;
const PINNED_ENV = 'MEDIASPREAD_BENCH_PINNED';

// "Per core" is measured on one core: re-run pinned to CPU 1 when taskset exists.
if (process.env[PINNED_ENV] === undefined) {
  const pinned = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_ENV]: '1' },
    timeout: 30 * 60_000,
  });
  if (!pinned.error) process.exit(pinned.status ?? 1);
  console.log(`taskset not usable (${pinned.error.message}): running unpinned`);
  process.env[PINNED_ENV] = '0';
}

/** One second of a participant's voice (a tone), Opus-encoded, looped by the feeder. */
async function voiceLoop(participant: number): Promise<AudioFrame[]> {
  const pcm = new Int16Array(48_000 * 2);
  const f = 200 + 37 * participant;
  for (let i = 0; i < 48_000; i++) {
    const v = Math.round(3000 * Math.sin((2 * Math.PI * f * i) / 48_000));
    pcm[2 * i] = v;
    pcm[2 * i + 1] = v;
  }
  const encoder = new AudioEncoder({ codec: 'opus', sampleRate: 48_000, channels: 2 });
  const frames = await encoder.encode(pcm);
  await encoder.close();
  return frames;
}

class FeedSource implements MediaSource {
  readonly type = 'bench-feed';
  deliver: ((frame: MediaFrame) => void) | undefined;
  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
  }
  onFeedback(): void {}
  close(): void {
    this.deliver = undefined;
  }
}

class CountingSink implements MediaSink {
  readonly type = 'bench-count';
  frames = 0;
  onLinkup(): void {}
  onCutoff(): void {}
  onFrame(): void {
    this.frames++;
  }
  close(): void {}
}

/** Every participant's next frame every 20 ms, timestamps continuing across loops. */
function startFeed(loops: AudioFrame[][], send: (participant: number, frame: AudioFrame) => void) {
  const clock = new DriftFreeClock({
    periodMs: 20,
    onTick: (tick) => {
      for (let p = 0; p < loops.length; p++) {
        const loop = loops[p]!;
        send(p, { ...loop[tick % loop.length]!, timestamp: tick * 960 });
      }
    },
  });
  clock.start();
  // Keeps the process alive while measuring (the clock's timer is unref'd).
  const keepAlive = setInterval(() => {}, 1000);
  return () => {
    clock.stop();
    clearInterval(keepAlive);
  };
}

interface Measured {
  cpu: number;
  /** Share of the time the event loop (JS: mixing, VAD, frame plumbing) was busy. */
  loopBusy: number;
  framesPerOutputPerS: number;
  dropped: number;
}

/** CPU (fraction of one core) and output rate over `seconds` after a warm-up. */
async function measure(
  outputFrames: () => number,
  outputs: number,
  dropped: () => number,
): Promise<Measured> {
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const f0 = outputFrames();
  const d0 = dropped();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  return {
    cpu: (cpu.user + cpu.system) / 1e6 / wall,
    loopBusy: performance.eventLoopUtilization(elu0).utilization,
    framesPerOutputPerS: (outputFrames() - f0) / outputs / wall,
    dropped: dropped() - d0,
  };
}

async function runMixer(loops: AudioFrame[][]): Promise<Measured> {
  const router = new MediaRouter();
  const mixer = new AudioMixer({
    mixerId: 'bench',
    spec: { room: 'bench', controller: 'nobody', vad: true },
    router,
    onActiveAudio: () => {},
  });
  const sources = loops.map((_, p) => {
    const source = new FeedSource();
    router.publish(`in-${p}`, source);
    mixer.addInput(`in-${p}`, `p${p}`);
    return source;
  });
  const sinks = loops.map((_, p) => {
    const id = mixer.generate({ codec: 'opus', sampleRate: 48_000, channels: 2, exclude: `p${p}` });
    const sink = new CountingSink();
    router.subscribe(`out-${p}`, sink);
    router.linkup(`out-${p}`, id);
    return sink;
  });
  const stop = startFeed(loops, (p, frame) => sources[p]!.deliver?.(frame));
  const dropped = () => {
    const s = mixer.stats();
    return (
      s.skippedTicks * loops.length +
      s.outputs.reduce((n, o) => n + o.droppedTicks, 0) +
      s.inputs.reduce((n, i) => n + i.droppedFrames, 0)
    );
  };
  const result = await measure(() => sinks.reduce((n, s) => n + s.frames, 0), loops.length, dropped);
  stop();
  await mixer.destroy();
  router.close();
  return result;
}

/** The same streams decoded and re-encoded one by one: no mixing, no VAD. */
async function runBaseline(loops: AudioFrame[][]): Promise<Measured> {
  const chains = loops.map(() => ({
    decoder: new FrameToPcm({ sampleRate: 48_000, channels: 2 }),
    encoder: new PcmEncoder(
      { codec: 'opus', sampleRate: 48_000, channels: 2 },
      { sampleRate: 48_000, channels: 2 },
    ),
  }));
  let frames = 0;
  let dropped = 0;
  const stop = startFeed(loops, (p, frame) => {
    const chain = chains[p]!;
    if (chain.decoder.pending + chain.encoder.pending > 25) {
      dropped++;
      return;
    }
    void chain.decoder
      .convert(frame)
      .then((pcm) => chain.encoder.encode(pcm))
      .then(
        (out) => {
          frames += out.length;
        },
        // Frames still queued when the case ends meet closed codecs.
        () => undefined,
      );
  });
  const result = await measure(
    () => frames,
    loops.length,
    () => dropped,
  );
  stop();
  await Promise.all(chains.flatMap((c) => [c.decoder.close(), c.encoder.close()]));
  return result;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log(
  `audio mixer bench: ${seconds} s per case after ${WARMUP_S} s warm-up, pinned: ${process.env[PINNED_ENV] === '1'}\n`,
);
console.log(
  '| participants | mixer CPU (1 core) | mixer per participant | baseline CPU | baseline per stream | mixer / baseline | participants per core (mixer) | event loop busy (mixer / baseline) | output frames/s | dropped |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of PARTICIPANTS) {
  const loops = await Promise.all(Array.from({ length: n }, (_, p) => voiceLoop(p)));
  const base = await runBaseline(loops);
  const mix = await runMixer(loops);
  const perParticipant = mix.cpu / n;
  console.log(
    `| ${n} | ${pct(mix.cpu)} | ${pct(perParticipant)} | ${pct(base.cpu)} | ${pct(base.cpu / n)} | ${(mix.cpu / base.cpu).toFixed(2)} | ${Math.floor(1 / perParticipant)} | ${pct(mix.loopBusy)} / ${pct(base.loopBusy)} | ${mix.framesPerOutputPerS.toFixed(1)} (baseline ${base.framesPerOutputPerS.toFixed(1)}) | ${mix.dropped} (baseline ${base.dropped}) |`,
  );
}
