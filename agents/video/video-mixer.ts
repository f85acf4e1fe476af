import { EventEmitter } from 'node:events';
import { NotFoundError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { MediaRouter } from '../../common/media/media-router.js';
import { Compositor, type CompositorLayer } from '../../native/index.js';
import { FrameClock } from './frame-clock.js';
import { planComposition } from './layout/index.js';
import { MixerLayoutState, type RegionRequest } from './mixer-layout-state.js';
import { type MixerLayout, mixerOutputId, type VideoMixerSpec, type VideoOutputSpec } from './protocol.js';
import { type InputPicture, VideoInput, type VideoInputStats } from './video-input.js';
import { type VideoOutputStats, VideoOutputStream } from './video-output-stream.js';

const log = createLogger('video-mixer');

/** One mixed picture that reached the encoders (for stats, tests and benchmarks). */
export interface MixedFrameEvent {
  /** 90 kHz timestamp of the mixed picture. */
  timestamp: number;
  /** performance.now() at the tick, and once every output has encoded it. */
  tickAt: number;
  encodedAt: number;
  /** Arrival (performance.now()) of each input frame shown for the first time in this picture. */
  newArrivals: number[];
  /** Outputs that encoded this picture. */
  encodedOutputs: number;
}

interface VideoMixerEvents {
  mixed: [event: MixedFrameEvent];
}

interface MixerInput {
  subscriptionId: string;
  input: VideoInput;
  /** seq of the input's picture last composed (to spot new ones). */
  composedSeq: number;
}

export interface VideoMixerStats {
  mixerId: string;
  inputs: { streamId: string; active: boolean; hasPicture: boolean; stats: VideoInputStats }[];
  outputs: (VideoOutputStats & { droppedTicks: number })[];
  composedFrames: number;
  /** Ticks skipped because the previous picture was still being composed or encoded. */
  droppedTicks: number;
}

/**
 * The mixer of one view. Inputs are router streams (each subscribed by a decoding VideoInput);
 * outputs are router streams it publishes (one encoder each). While at least one output
 * exists, a drift-free clock at the spec's framerate composes the inputs' last pictures once
 * per tick at the canvas size (layout engine) and hands the picture to every output; a tick
 * that finds the previous picture still in progress is skipped and counted. Without outputs
 * nothing is decoded, composed or encoded.
 */
export class VideoMixer extends EventEmitter<VideoMixerEvents> {
  private readonly layoutState: MixerLayoutState;
  private readonly inputs = new Map<string, MixerInput>();
  private readonly outputs = new Map<string, VideoOutputStream>();
  private readonly outputDroppedTicks = new Map<string, number>();
  private readonly compositor = new Compositor();
  private readonly clock: FrameClock;
  /** Output timestamps count from the mixer's creation, across pauses without outputs. */
  private readonly origin = performance.now();
  private lastTimestamp = -1;
  private busy = false;
  private destroyed = false;
  private composedFrames = 0;
  private skippedTicks = 0;

  constructor(
    readonly mixerId: string,
    readonly spec: VideoMixerSpec,
    private readonly router: MediaRouter,
  ) {
    super();
    this.layoutState = new MixerLayoutState(spec.layout);
    this.clock = new FrameClock(spec.framerate, () => this.tick());
  }

  layout(): MixerLayout {
    return { layout: this.layoutState.assignments() };
  }

  /** Subscribes to a router stream of this node and adds it to the layout (idempotent). */
  addInput(streamId: string): MixerLayout {
    this.ensureAlive();
    if (this.inputs.has(streamId)) return this.layout();
    if (!this.router.hasStream(streamId)) throw new NotFoundError(`stream ${streamId} is not on this node`);
    const subscriptionId = `${this.mixerId}/in/${streamId}`;
    const input = new VideoInput(`${this.mixerId}:${streamId}`);
    this.router.subscribe(subscriptionId, input);
    try {
      this.router.linkup(subscriptionId, streamId);
    } catch (err) {
      this.router.unsubscribe(subscriptionId);
      throw err;
    }
    this.inputs.set(streamId, { subscriptionId, input, composedSeq: 0 });
    this.layoutState.add(streamId);
    this.refreshInputs();
    return this.layout();
  }

  async removeInput(streamId: string): Promise<MixerLayout> {
    this.ensureAlive();
    const entry = this.inputs.get(streamId);
    if (!entry) throw new NotFoundError(`stream ${streamId} is not an input of mixer ${this.mixerId}`);
    this.layoutState.remove(streamId);
    this.inputs.delete(streamId);
    this.router.unsubscribe(entry.subscriptionId);
    this.refreshInputs();
    await entry.input.whenClosed();
    return this.layout();
  }

  setActiveInput(streamId: string): MixerLayout {
    this.ensureAlive();
    this.layoutState.setActive(streamId);
    this.refreshInputs();
    return this.layout();
  }

  setRegion(streamId: string, regionId: string): MixerLayout {
    this.ensureAlive();
    this.layoutState.setRegion(streamId, regionId);
    this.refreshInputs();
    return this.layout();
  }

  getRegion(streamId: string): { region: string } {
    this.ensureAlive();
    if (!this.layoutState.has(streamId)) {
      throw new NotFoundError(`stream ${streamId} is not an input of mixer ${this.mixerId}`);
    }
    const region = this.layoutState.regionOf(streamId);
    if (region === undefined) throw new NotFoundError(`stream ${streamId} is not shown (over maxInput)`);
    return { region };
  }

  setLayout(requests: readonly RegionRequest[]): MixerLayout {
    this.ensureAlive();
    this.layoutState.setLayout(requests);
    this.refreshInputs();
    return this.layout();
  }

  /** Publishes an output stream for this spec (idempotent per spec); returns its stream id. */
  generate(spec: VideoOutputSpec): string {
    this.ensureAlive();
    const streamId = mixerOutputId(this.mixerId, spec);
    if (this.outputs.has(streamId)) return streamId;
    const output = new VideoOutputStream(streamId, spec);
    try {
      this.router.publish(streamId, output);
    } catch (err) {
      void output.dispose();
      throw err;
    }
    this.outputs.set(streamId, output);
    this.outputDroppedTicks.set(streamId, 0);
    if (!this.clock.running) {
      this.clock.start();
      log.debug({ mixerId: this.mixerId }, 'mixing started');
    }
    this.refreshInputs();
    return streamId;
  }

  async degenerate(streamId: string): Promise<void> {
    this.ensureAlive();
    const output = this.outputs.get(streamId);
    if (!output) throw new NotFoundError(`stream ${streamId} is not an output of mixer ${this.mixerId}`);
    this.outputs.delete(streamId);
    this.outputDroppedTicks.delete(streamId);
    this.router.unpublish(streamId);
    if (this.outputs.size === 0) {
      this.clock.stop();
      log.debug({ mixerId: this.mixerId }, 'mixing stopped: no outputs');
    }
    this.refreshInputs();
    await output.dispose();
  }

  hasOutput(streamId: string): boolean {
    return this.outputs.has(streamId);
  }

  stats(): VideoMixerStats {
    return {
      mixerId: this.mixerId,
      inputs: [...this.inputs].map(([streamId, { input }]) => ({
        streamId,
        active: input.isActive,
        hasPicture: input.latest !== undefined,
        stats: input.stats(),
      })),
      outputs: [...this.outputs.values()].map((o) => ({
        ...o.stats(),
        droppedTicks: this.outputDroppedTicks.get(o.streamId) ?? 0,
      })),
      composedFrames: this.composedFrames,
      droppedTicks: this.skippedTicks + this.clock.missedTicks,
    };
  }

  /** Stops the clock, unpublishes outputs, unsubscribes inputs and frees every codec. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clock.stop();
    const closing: Promise<void>[] = [];
    for (const [streamId, output] of this.outputs) {
      if (this.router.hasStream(streamId)) this.router.unpublish(streamId);
      closing.push(output.dispose());
    }
    for (const { subscriptionId, input } of this.inputs.values()) {
      try {
        this.router.unsubscribe(subscriptionId);
      } catch {
        // Already gone with the router.
      }
      closing.push(input.whenClosed());
    }
    this.outputs.clear();
    this.inputs.clear();
    closing.push(this.compositor.close().catch(() => undefined));
    await Promise.all(closing);
  }

  private ensureAlive(): void {
    if (this.destroyed) throw new NotFoundError(`mixer ${this.mixerId} is destroyed`);
  }

  /** Decode exactly the inputs that are shown while someone receives the mix. */
  private refreshInputs(): void {
    const shown = new Set(this.layoutState.assignments().map((a) => a.stream));
    const mixing = this.outputs.size > 0;
    for (const [streamId, { input }] of this.inputs) input.setActive(mixing && shown.has(streamId));
  }

  private tick(): void {
    if (this.busy) {
      this.skippedTicks++;
      for (const [id, n] of this.outputDroppedTicks) this.outputDroppedTicks.set(id, n + 1);
      return;
    }
    this.busy = true;
    this.mixOnce()
      .catch((err: unknown) => {
        // A picture in flight while the mixer is destroyed fails on closed codecs: expected.
        if (!this.destroyed) log.warn({ mixerId: this.mixerId, err: (err as Error).message }, 'mix failed');
      })
      .finally(() => {
        this.busy = false;
      });
  }

  private async mixOnce(): Promise<void> {
    const tickAt = performance.now();
    const { width, height } = this.spec.resolution;
    const pictures = new Map<string, InputPicture>();
    for (const [streamId, { input }] of this.inputs) {
      if (input.latest) pictures.set(streamId, input.latest);
    }
    const plan = planComposition({
      spec: this.spec.layout,
      canvasWidth: width,
      canvasHeight: height,
      inputs: this.layoutState.inputs.map((stream) => ({
        stream,
        width: pictures.get(stream)?.width ?? 0,
        height: pictures.get(stream)?.height ?? 0,
      })),
      activeInput: this.layoutState.activeInput,
      pinned: this.layoutState.pins,
    });
    const layers: CompositorLayer[] = [];
    const newArrivals: number[] = [];
    for (const layer of plan.layers) {
      const picture = pictures.get(layer.stream)!;
      layers.push({ image: picture, crop: layer.crop, dest: layer.dest });
      const entry = this.inputs.get(layer.stream)!;
      if (picture.seq !== entry.composedSeq) {
        entry.composedSeq = picture.seq;
        newArrivals.push(picture.arrivedAt);
      }
    }
    const canvas = await this.compositor.compose({ width, height, background: plan.background }, layers);
    this.composedFrames++;
    // 90 kHz from the mixer's start, strictly increasing.
    const timestamp = Math.max(this.lastTimestamp + 1, Math.round((tickAt - this.origin) * 90));
    this.lastTimestamp = timestamp;
    const results = await Promise.all([...this.outputs.values()].map((o) => o.submit(canvas, timestamp)));
    const encodedOutputs = results.filter((r) => r === 'encoded').length;
    this.emit('mixed', { timestamp, tickAt, encodedAt: performance.now(), newArrivals, encodedOutputs });
  }
}
