/**
 * The real VideoMixer under the mixer benchmark's load: N VP8 inputs at their region's size fed
 * in real time (30 fps each, phases spread like unsynchronised publishers) over a MediaRouter,
 * one 1280x720@30 VP8 output. Measures what a viewer gets: output fps, dropped ticks, the
 * latency the mixer adds (input frame arrival → the mixed frame showing it leaves the encoder)
 * and CPU per output frame.
 */
import { VideoMixer } from '../../agents/video/video-mixer.js';
import type { MediaSink, MediaSource } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame, VideoFrame } from '../../common/media/media-frame.js';
import { MediaRouter } from '../../common/media/media-router.js';
import { VideoEncoder } from '../../native/index.js';
import { pattern, percentile } from './bench-support.js';

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 30;

export interface VideoMixerRow {
  inputs: number;
  inputSize: string;
  fps: number;
  droppedTicks: number;
  ticks: number;
  cpuPerFrameMs: number;
  cpuPercent: number;
  /** Newest new input frame of each mixed frame → encoded. */
  newestP50: number;
  newestP99: number;
  /** Every input frame → the first mixed frame showing it, encoded. */
  allP50: number;
  allP99: number;
}

/** A publisher replaying encoded frames at 30 fps on a drift-free schedule; a PLI restarts at the keyframe. */
class ReplaySource implements MediaSource {
  readonly type = 'bench-replay';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private index = 0;
  private sent = 0;

  constructor(
    private readonly frames: readonly VideoFrame[],
    private readonly phaseMs: number,
  ) {}

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
    const origin = performance.now() + this.phaseMs;
    const next = () => {
      const frame = this.frames[this.index % this.frames.length]!;
      this.index++;
      this.deliver?.({ ...frame, timestamp: this.sent * 3000 });
      this.sent++;
      this.timer = setTimeout(next, Math.max(0, origin + (this.sent * 1000) / FPS - performance.now()));
    };
    this.timer = setTimeout(next, this.phaseMs);
  }

  onFeedback(feedback: MediaFeedback): void {
    if (feedback.type === 'keyframe-request') this.index = 0;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
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

export async function runVideoMixerCase(inputs: number, seconds: number): Promise<VideoMixerRow> {
  const side = Math.ceil(Math.sqrt(inputs));
  const iw = 2 * Math.round(WIDTH / side / 2);
  const ih = 2 * Math.round(HEIGHT / side / 2);
  const streams = await Promise.all(
    Array.from({ length: inputs }, async (_, k) => {
      const enc = new VideoEncoder({
        codec: 'vp8',
        width: iw,
        height: ih,
        bitrate: 2_000_000 / side,
        framerate: FPS,
      });
      const frames: VideoFrame[] = [];
      for (let f = 0; f < 60; f++) frames.push(...(await enc.encode(pattern(iw, ih, f + k), f * 3000)));
      await enc.close();
      return frames;
    }),
  );
  const router = new MediaRouter();
  const mixer = new VideoMixer(
    'bench',
    {
      resolution: { width: WIDTH, height: HEIGHT },
      framerate: FPS,
      layout: {
        base: 'fluid',
        fitPolicy: 'crop',
        maxInput: 16,
        bgColor: { r: 0, g: 0, b: 0 },
        keepActiveInputPrimary: false,
      },
    },
    router,
  );
  streams.forEach((frames, k) => {
    router.publish(`in-${k}`, new ReplaySource(frames, (k * 1000) / FPS / inputs));
    mixer.addInput(`in-${k}`);
  });
  const outputId = mixer.generate({
    codec: 'vp8',
    resolution: { width: WIDTH, height: HEIGHT },
    framerate: FPS,
    bitrate: 2500,
    keyFrameInterval: 10,
  });
  const sink = new CountingSink();
  router.subscribe('viewer', sink);
  router.linkup('viewer', outputId);

  let measuring = false;
  const newest: number[] = [];
  const all: number[] = [];
  mixer.on('mixed', (e) => {
    if (!measuring || e.newArrivals.length === 0) return;
    newest.push(e.encodedAt - Math.max(...e.newArrivals));
    for (const a of e.newArrivals) all.push(e.encodedAt - a);
  });
  // One second to get keyframes in and the pipeline warm.
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const frames0 = sink.frames;
  const stats0 = mixer.stats();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = mixer.stats();
  measuring = false;
  const frames = sink.frames - frames0;
  await mixer.destroy();
  router.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    inputs,
    inputSize: `${iw}x${ih}`,
    fps: frames / elapsed,
    droppedTicks: stats.droppedTicks - stats0.droppedTicks,
    ticks: stats.composedFrames - stats0.composedFrames + stats.droppedTicks - stats0.droppedTicks,
    cpuPerFrameMs: cpuMs / Math.max(1, frames),
    cpuPercent: (100 * cpuMs) / (elapsed * 1000),
    newestP50: percentile(newest, 0.5),
    newestP99: percentile(newest, 0.99),
    allP50: percentile(all, 0.5),
    allP99: percentile(all, 0.99),
  };
}
