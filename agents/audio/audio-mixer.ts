import { NotFoundError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { MediaRouter } from '../../common/media/media-router.js';
import { DuplicateIdError } from '../../common/media/media-router-errors.js';
import { ActiveSpeakerDetector, DEFAULT_ACTIVE_SPEAKER } from './active-speaker.js';
import { rmsDbov, SILENCE_DBOV } from './audio-level.js';
import { DriftFreeClock } from './drift-free-clock.js';
import { TICK_MS, TICK_SAMPLES } from './mix-format.js';
import { MixerInput, type MixerInputStats } from './mixer-input.js';
import { MixerOutput } from './mixer-output.js';
import { addInto, clipInto, clipMinusInto } from './pcm-mix.js';
import { type AudioMixerSpec, type AudioOutputSpec, audioMixerOutputId } from './protocol.js';

const log = createLogger('audio-mixer');

export interface AudioMixerOptions {
  mixerId: string;
  spec: AudioMixerSpec;
  router: MediaRouter;
  /** The active speaker changed (spec.vad): the node tells spec.controller. */
  onActiveAudio: (mixer: AudioMixer, streamId: string) => void;
}

export interface AudioMixerStats {
  mixerId: string;
  inputs: ({ streamId: string; owner: string; level: number } & MixerInputStats)[];
  outputs: { streamId: string; frames: number; droppedTicks: number }[];
  activeSpeaker: string | undefined;
  skippedTicks: number;
}

/**
 * The audio mixer of one view. Inputs are router streams (one sink each, subscribed and linked
 * here); every 20 ms tick takes each input's audio (silence when it has none), adds everything
 * up once, and gives each output the total — or the total minus one participant's own inputs —
 * clipped to 16 bits, to its own encoder; outputs are router streams published here. Inputs are
 * decoded only when something needs them: an output, or active speaker detection (spec.vad).
 */
export class AudioMixer {
  readonly mixerId: string;
  private spec: AudioMixerSpec;
  private readonly router: MediaRouter;
  private readonly inputs = new Map<string, MixerInput>();
  private readonly outputs = new Map<string, MixerOutput>();
  private readonly clock: DriftFreeClock;
  private detector = new ActiveSpeakerDetector({ tickMs: TICK_MS, ...DEFAULT_ACTIVE_SPEAKER });
  private readonly total = new Int32Array(TICK_SAMPLES);
  private readonly levels = new Map<string, number>();
  /** Codec instances being freed by removed inputs/outputs: destroy() waits for them. */
  private readonly closing = new Set<Promise<void>>();
  private skippedTicks = 0;
  private destroyed = false;

  constructor(private readonly options: AudioMixerOptions) {
    this.mixerId = options.mixerId;
    this.spec = options.spec;
    this.router = options.router;
    this.clock = new DriftFreeClock({
      periodMs: TICK_MS,
      onTick: () => this.tick(),
      onSkipped: (ticks) => {
        this.skippedTicks += ticks;
        for (const output of this.outputs.values()) output.skip(ticks);
      },
    });
  }

  get mixerSpec(): AudioMixerSpec {
    return this.spec;
  }

  get activeSpeaker(): string | undefined {
    return this.detector.activeSpeaker;
  }

  /** initMixer again with the same id: the controller, room and vad may change. */
  updateSpec(spec: AudioMixerSpec): void {
    this.spec = spec;
    this.updateActivity();
  }

  hasInput(streamId: string): boolean {
    return this.inputs.has(streamId);
  }

  addInput(streamId: string, owner: string): void {
    this.assertAlive();
    if (this.inputs.has(streamId)) {
      throw new DuplicateIdError(`stream ${streamId} is already an input of mixer ${this.mixerId}`);
    }
    if (!this.router.hasStream(streamId)) throw new NotFoundError(`stream ${streamId} is not published`);
    const subscriptionId = inputSubscriptionId(this.mixerId, streamId);
    const input = new MixerInput(streamId, owner, (closed) => this.forgetInput(closed));
    this.router.subscribe(subscriptionId, input);
    try {
      this.router.linkup(subscriptionId, streamId);
    } catch (err) {
      this.router.unsubscribe(subscriptionId);
      throw err;
    }
    this.inputs.set(streamId, input);
    this.updateActivity();
    log.debug({ mixerId: this.mixerId, streamId, owner }, 'input added');
  }

  removeInput(streamId: string): void {
    this.assertAlive();
    if (!this.inputs.has(streamId)) {
      throw new NotFoundError(`stream ${streamId} is not an input of mixer ${this.mixerId}`);
    }
    // The sink's close() forgets the input (the same path as an unsubscribe from elsewhere).
    this.router.unsubscribe(inputSubscriptionId(this.mixerId, streamId));
  }

  /** The output stream for `spec` (made on the first call, the same one afterwards). */
  generate(spec: AudioOutputSpec): string {
    this.assertAlive();
    const streamId = audioMixerOutputId(this.mixerId, spec);
    if (this.outputs.has(streamId)) return streamId;
    const output = new MixerOutput(streamId, spec, (closed) => this.forgetOutput(closed));
    try {
      this.router.publish(streamId, output.source);
    } catch (err) {
      output.source.close();
      throw err;
    }
    this.outputs.set(streamId, output);
    this.updateActivity();
    log.debug({ mixerId: this.mixerId, streamId }, 'output generated');
    return streamId;
  }

  degenerate(streamId: string): void {
    this.assertAlive();
    if (!this.outputs.has(streamId)) {
      throw new NotFoundError(`stream ${streamId} is not an output of mixer ${this.mixerId}`);
    }
    this.router.unpublish(streamId);
  }

  /** Stops the clock, unpublishes the outputs, unsubscribes the inputs, frees every codec. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clock.stop();
    for (const streamId of [...this.outputs.keys()]) this.router.unpublish(streamId);
    for (const streamId of [...this.inputs.keys()]) {
      this.router.unsubscribe(inputSubscriptionId(this.mixerId, streamId));
    }
    await Promise.all(this.closing);
  }

  stats(): AudioMixerStats {
    return {
      mixerId: this.mixerId,
      inputs: [...this.inputs.values()].map((input) => ({
        streamId: input.streamId,
        owner: input.owner,
        level: Math.round(input.level.level * 10) / 10,
        ...input.stats(),
      })),
      outputs: [...this.outputs.values()].map((output) => ({
        streamId: output.streamId,
        frames: output.source.frames,
        droppedTicks: output.droppedTicks,
      })),
      activeSpeaker: this.detector.activeSpeaker,
      skippedTicks: this.skippedTicks,
    };
  }

  private assertAlive(): void {
    if (this.destroyed) throw new NotFoundError(`mixer ${this.mixerId} is destroyed`);
  }

  private forgetInput(input: MixerInput): void {
    if (this.inputs.get(input.streamId) !== input) return;
    this.inputs.delete(input.streamId);
    this.detector.remove(input.streamId);
    this.track(input.closed());
    this.updateActivity();
  }

  private forgetOutput(output: MixerOutput): void {
    if (this.outputs.get(output.streamId) !== output) return;
    this.outputs.delete(output.streamId);
    this.track(output.closed());
    this.updateActivity();
  }

  private track(closing: Promise<void>): void {
    const settled = closing.catch((err: unknown) =>
      log.warn({ mixerId: this.mixerId, err: (err as Error).message }, 'codec close failed'),
    );
    this.closing.add(settled);
    void settled.then(() => this.closing.delete(settled));
  }

  /** Decode and tick only when an output or active speaker detection needs the inputs. */
  private updateActivity(): void {
    const needsInputs = !this.destroyed && (this.outputs.size > 0 || (this.spec.vad && this.inputs.size > 0));
    for (const input of this.inputs.values()) input.setDecoding(needsInputs);
    if (!this.spec.vad)
      this.detector = new ActiveSpeakerDetector({ tickMs: TICK_MS, ...DEFAULT_ACTIVE_SPEAKER });
    if (needsInputs) this.clock.start();
    else this.clock.stop();
  }

  private tick(): void {
    const total = this.total;
    total.fill(0);
    this.levels.clear();
    for (const input of this.inputs.values()) {
      input.readTick();
      const level = input.tickLength > 0 ? rmsDbov(input.tick, input.tickLength) : SILENCE_DBOV;
      this.levels.set(input.streamId, input.level.update(level));
      if (input.tickLength > 0) addInto(total, input.tick, input.tickLength);
    }
    if (this.spec.vad) {
      const speaker = this.detector.update(this.levels);
      if (speaker !== undefined) this.options.onActiveAudio(this, speaker);
    }
    if (this.outputs.size > 0) this.mixOutputs();
  }

  private mixOutputs(): void {
    let fullMix: Int16Array | undefined;
    for (const output of this.outputs.values()) {
      const own = output.spec.exclude === undefined ? [] : this.contributionOf(output.spec.exclude);
      if (own.length === 0) {
        if (!fullMix) {
          // One buffer shared by every output that hears everyone: encoders only read it.
          fullMix = new Int16Array(TICK_SAMPLES);
          clipInto(fullMix, this.total);
        }
        output.push(fullMix);
      } else {
        const mix = new Int16Array(TICK_SAMPLES);
        clipMinusInto(mix, this.total, own);
        output.push(mix);
      }
    }
  }

  /** The audio of this tick from `owner`'s inputs (those that had any). */
  private contributionOf(owner: string): Int16Array[] {
    const own: Int16Array[] = [];
    for (const input of this.inputs.values()) {
      if (input.owner === owner && input.tickLength > 0) own.push(input.tick);
    }
    return own;
  }
}

/** The router subscription through which a mixer reads one input stream. */
export function inputSubscriptionId(mixerId: string, streamId: string): string {
  return `${mixerId}/in/${streamId}`;
}
