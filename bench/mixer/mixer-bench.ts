/**
 * Mixer pipeline cost on one core: N inputs decoded (VP8, sized for their region), composed into
 * 1280x720 (fluid layout, crop) and the mix encoded with VP8 — every step awaited in turn, so
 * at most one core works at a time. Also: compositing alone in C++ against the same drawing in
 * TypeScript (nearest neighbour, the cheapest possible), to justify doing it natively.
 * Then the real VideoMixer (agents/video) with 4/9/16 inputs fed in real time, against the bare
 * pipeline above as the baseline (see video-mixer-case.ts). Everything runs pinned to one core
 * (`taskset -c 1`, the script re-runs itself) when taskset is there.
 * Usage: node dist/bench/mixer/mixer-bench.js [seconds per pipeline case, default 3] [seconds per mixer case, default 8]
 */
import { spawnSync } from 'node:child_process';
import { planComposition } from '../../agents/video/layout/index.js';
import {
  Compositor,
  type CompositorLayer,
  type I420Image,
  i420Planes,
  i420Size,
  VideoDecoder,
  VideoEncoder,
} from '../../native/index.js';
import { pattern, percentile } from './bench-support.js';
import { runVideoMixerCase, type VideoMixerRow } from './video-mixer-case.js';

const seconds = Number(process.argv[2] ?? 3);
const mixerSeconds = Number(process.argv[3] ?? 8);
const PINNED_ENV = 'MEDIASPREAD_BENCH_PINNED';

// One core for everything (baseline and mixer alike): re-run pinned to CPU 1 when taskset exists.
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
const WIDTH = 1280;
const HEIGHT = 720;

/** Nearest-neighbour crop+scale+copy of I420 in TypeScript: the JS baseline for compositing. */
function composeTs(
  canvas: { width: number; height: number; background: readonly number[] },
  layers: CompositorLayer[],
) {
  const out = {
    width: canvas.width,
    height: canvas.height,
    data: new Uint8Array(i420Size(canvas.width, canvas.height)),
  };
  const o = i420Planes(out);
  o.y.fill(canvas.background[0]!);
  o.u.fill(canvas.background[1]!);
  o.v.fill(canvas.background[2]!);
  for (const l of layers) {
    const p = i420Planes(l.image);
    const planes: Array<[Uint8Array, number, Uint8Array, number, number]> = [
      [p.y, p.strideY, o.y, o.strideY, 1],
      [p.u, p.strideUV, o.u, o.strideUV, 2],
      [p.v, p.strideUV, o.v, o.strideUV, 2],
    ];
    for (const [src, ss, dst, ds, div] of planes) {
      const dw = l.dest.width / div;
      const dh = l.dest.height / div;
      for (let y = 0; y < dh; y++) {
        const sy = (l.crop.y / div + Math.floor((y * l.crop.height) / l.dest.height)) * ss;
        const dy = (l.dest.y / div + y) * ds + l.dest.x / div;
        for (let x = 0; x < dw; x++)
          dst[dy + x] = src[sy + l.crop.x / div + Math.floor((x * l.crop.width) / l.dest.width)]!;
      }
    }
  }
  return out;
}

interface Row {
  inputs: number;
  inputSize: string;
  fps: number;
  cpuPerFrameMs: number;
  decodeMs: number;
  composeMs: number;
  encodeMs: number;
  composeTsMs: number;
  /** compose + encode of one mixed frame, i.e. the latency the mixer adds after the last input frame. */
  mixP50: number;
  mixP99: number;
}

async function runCase(inputs: number, size?: [number, number]): Promise<Row> {
  const side = Math.ceil(Math.sqrt(inputs));
  // Inputs at their region's size (as simulcast or a subscription would give), or all at one
  // size (4:3 camera, scaled and cropped into 16:9 regions).
  const iw = size?.[0] ?? 2 * Math.round(WIDTH / side / 2);
  const ih = size?.[1] ?? 2 * Math.round(HEIGHT / side / 2);
  const streams = await Promise.all(
    Array.from({ length: inputs }, async (_, k) => {
      const enc = new VideoEncoder({
        codec: 'vp8',
        width: iw,
        height: ih,
        bitrate: 2_000_000 / side,
        framerate: 30,
      });
      const frames = [];
      for (let f = 0; f < 30; f++) frames.push(...(await enc.encode(pattern(iw, ih, f + k), f * 3000)));
      await enc.close();
      return {
        id: `s${k}`,
        frames,
        decoder: new VideoDecoder('vp8'),
        last: undefined as I420Image | undefined,
      };
    }),
  );
  const compositor = new Compositor();
  const encoder = new VideoEncoder({
    codec: 'vp8',
    width: WIDTH,
    height: HEIGHT,
    bitrate: 2_500_000,
    framerate: 30,
    keyframeInterval: 300,
  });
  const spec = {
    base: 'fluid' as const,
    fitPolicy: 'crop' as const,
    maxInput: 16,
    bgColor: { r: 0, g: 0, b: 0 },
    keepActiveInputPrimary: false,
  };
  let frame = 0;
  let decodeMs = 0;
  let composeMs = 0;
  let encodeMs = 0;
  let composeTsMs = 0;
  const mixTimes: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    let t = performance.now();
    for (const s of streams) {
      const f = s.frames[frame % s.frames.length]!;
      // Loop the 30 encoded frames; restart the decoder at the keyframe.
      const pics = await s.decoder.decode(f);
      if (pics.length > 0) s.last = pics[pics.length - 1];
    }
    decodeMs += performance.now() - t;
    t = performance.now();
    const mixStart = t;
    const plan = planComposition({
      spec,
      canvasWidth: WIDTH,
      canvasHeight: HEIGHT,
      inputs: streams.map((s) => ({ stream: s.id, width: s.last?.width ?? 0, height: s.last?.height ?? 0 })),
    });
    const byId = new Map(streams.map((s) => [s.id, s.last]));
    const layers = plan.layers.map((l) => ({ image: byId.get(l.stream)!, crop: l.crop, dest: l.dest }));
    const canvas = { width: WIDTH, height: HEIGHT, background: plan.background };
    const mixed = await compositor.compose(canvas, layers);
    composeMs += performance.now() - t;
    t = performance.now();
    await encoder.encode(mixed, frame * 3000);
    encodeMs += performance.now() - t;
    mixTimes.push(performance.now() - mixStart);
    if (frame % 10 === 0) {
      t = performance.now();
      composeTs(canvas, layers);
      composeTsMs += (performance.now() - t) * 10;
    }
    frame++;
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all([compositor.close(), encoder.close(), ...streams.map((s) => s.decoder.close())]);
  // The TS comparison runs in the loop too: take its time out of the pipeline's figures.
  const pipelineSeconds = elapsed - composeTsMs / 10 / 1000;
  return {
    inputs,
    inputSize: `${iw}x${ih}`,
    fps: frame / pipelineSeconds,
    cpuPerFrameMs: ((cpu.user + cpu.system) / 1000 - composeTsMs / 10) / frame,
    decodeMs: decodeMs / frame,
    composeMs: composeMs / frame,
    encodeMs: encodeMs / frame,
    composeTsMs: composeTsMs / frame,
    mixP50: percentile(mixTimes, 0.5),
    mixP99: percentile(mixTimes, 0.99),
  };
}

const rows: Row[] = [];
for (const n of [4, 9, 16]) rows.push(await runCase(n));
for (const n of [4, 9, 16]) rows.push(await runCase(n, [640, 480]));
console.log(`Mixer pipeline, ${WIDTH}x${HEIGHT} VP8 out, ${seconds} s per case, Node ${process.version}`);
console.log('');
console.log(
  '| inputs | input size | mixed fps | CPU ms/frame | decode ms | compose ms (C++) | encode ms | compose ms (TS, nearest) | mix p50/p99 ms |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.inputs} | ${r.inputSize} | ${r.fps.toFixed(1)} | ${r.cpuPerFrameMs.toFixed(1)} | ${r.decodeMs.toFixed(1)} | ${r.composeMs.toFixed(1)} | ${r.encodeMs.toFixed(1)} | ${r.composeTsMs.toFixed(1)} | ${r.mixP50.toFixed(1)} / ${r.mixP99.toFixed(1)} |`,
  );
}

const mixerRows: VideoMixerRow[] = [];
for (const n of [4, 9, 16]) mixerRows.push(await runVideoMixerCase(n, mixerSeconds));
const pinnedNote = process.env[PINNED_ENV] === '1' ? 'pinned to CPU 1 (taskset)' : 'not pinned';
console.log('');
console.log(
  `Real VideoMixer, ${WIDTH}x${HEIGHT}@30 VP8 out, inputs fed at 30 fps, ${mixerSeconds} s per case, ${pinnedNote}; baseline = the pipeline above (same input sizes)`,
);
console.log('');
console.log(
  '| inputs | input size | output fps (aim 30) | dropped ticks | CPU ms/frame | CPU % of a core | CPU vs baseline | added latency newest p50/p99 ms | every input frame p50/p99 ms | baseline mix p50/p99 ms |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const m of mixerRows) {
  const base = rows.find((r) => r.inputs === m.inputs && r.inputSize === m.inputSize)!;
  console.log(
    `| ${m.inputs} | ${m.inputSize} | ${m.fps.toFixed(1)} | ${m.droppedTicks} of ${m.ticks} | ${m.cpuPerFrameMs.toFixed(1)} | ${m.cpuPercent.toFixed(0)} | ${(m.cpuPerFrameMs / base.cpuPerFrameMs).toFixed(2)}× | ${m.newestP50.toFixed(1)} / ${m.newestP99.toFixed(1)} | ${m.allP50.toFixed(1)} / ${m.allP99.toFixed(1)} | ${base.mixP50.toFixed(1)} / ${base.mixP99.toFixed(1)} |`,
  );
}
