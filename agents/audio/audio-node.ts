import { NotFoundError, ValidationError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { mediaIdSchema } from '../../common/media/media-primitive-schemas.js';
import { DuplicateIdError } from '../../common/media/media-router-errors.js';
import type { RpcBus, RpcHandlers } from '../../common/rpc/rpc-bus.js';
import { MediaAccessNode } from '../streaming/media-access-node.js';
import type { AudioNodeConfig } from './audio-config.js';
import { AudioMixer } from './audio-mixer.js';
import {
  audioFormatSchema,
  audioMixerSpecSchema,
  audioOutputSpecSchema,
  mixerIdSchema,
  ownerSchema,
  parseArg,
  streamIdSchema,
} from './audio-schemas.js';
import { AudioTranscoder } from './audio-transcoder.js';
import { type AudioFormat, type AudioNodeStats, audioMixerOutputId } from './protocol.js';

const log = createLogger('audio-node');

/** Monitoring topic of the media node underneath (the audio node publishes no events on it yet). */
export const AUDIO_STATUS_TOPIC = 'audio.status';

/**
 * The audio node: a media node (router, links, media primitives — MediaAccessNode with only
 * `internal` endpoints) plus audio mixers and transcoders working on its router streams, served
 * as the methods of agents/audio/protocol.ts. Every argument is validated; bad ones change nothing.
 */
export class AudioNode {
  private readonly mixers = new Map<string, AudioMixer>();
  private readonly transcoders = new Map<string, AudioTranscoder>();

  private constructor(
    private readonly nodeId: string,
    private readonly bus: RpcBus,
    private readonly media: MediaAccessNode,
  ) {}

  static async start(nodeId: string, bus: RpcBus, config: AudioNodeConfig): Promise<AudioNode> {
    const media = await MediaAccessNode.start({
      nodeId,
      bus,
      secret: config.cluster.secret,
      linkHost: config.audio.linkHost,
      linkPort: config.audio.linkPort,
      topic: AUDIO_STATUS_TOPIC,
    });
    return new AudioNode(nodeId, bus, media);
  }

  get router() {
    return this.media.router;
  }

  handlers(): RpcHandlers {
    return {
      ...this.media.handlers(),
      initMixer: (mixerId: unknown, spec: unknown) => {
        const id = parseArg(mixerIdSchema, mixerId, 'mixerId');
        const s = parseArg(audioMixerSpecSchema, spec, 'spec');
        const existing = this.mixers.get(id);
        if (existing) existing.updateSpec(s);
        else {
          this.mixers.set(
            id,
            new AudioMixer({
              mixerId: id,
              spec: s,
              router: this.router,
              onActiveAudio: (mixer, streamId) => this.announceSpeaker(mixer, streamId),
            }),
          );
        }
        return { ok: true };
      },
      destroyMixer: async (mixerId: unknown) => {
        const id = parseArg(mixerIdSchema, mixerId, 'mixerId');
        const mixer = this.mixers.get(id);
        // Idempotent: a controller cleaning up after a failure may not know what is left.
        if (!mixer) return { ok: true };
        this.mixers.delete(id);
        await mixer.destroy();
        return { ok: true };
      },
      addInput: (mixerId: unknown, streamId: unknown, owner: unknown) => {
        const mixer = this.mixer(mixerId);
        mixer.addInput(parseArg(streamIdSchema, streamId, 'streamId'), parseArg(ownerSchema, owner, 'owner'));
        return { ok: true };
      },
      removeInput: (mixerId: unknown, streamId: unknown) => {
        this.mixer(mixerId).removeInput(parseArg(streamIdSchema, streamId, 'streamId'));
        return { ok: true };
      },
      generate: (mixerId: unknown, spec: unknown) => {
        const mixer = this.mixer(mixerId);
        const s = parseArg(audioOutputSpecSchema, spec, 'spec');
        if (!mediaIdSchema.safeParse(audioMixerOutputId(mixer.mixerId, s)).success) {
          throw new ValidationError('output stream id (mixer id + spec) longer than 255 bytes');
        }
        const streamId = mixer.generate(s);
        return { streamId };
      },
      degenerate: (mixerId: unknown, outputStreamId: unknown) => {
        this.mixer(mixerId).degenerate(parseArg(streamIdSchema, outputStreamId, 'outputStreamId'));
        return { ok: true };
      },
      transcode: (transcoderId: unknown, inputStreamId: unknown, spec: unknown) => {
        const id = parseArg(streamIdSchema, transcoderId, 'transcoderId');
        const input = parseArg(streamIdSchema, inputStreamId, 'inputStreamId');
        const format = parseArg(audioFormatSchema, spec, 'spec');
        const existing = this.transcoders.get(id);
        if (existing) {
          if (existing.inputStreamId === input && sameFormat(existing.format, format))
            return { streamId: id };
          throw new DuplicateIdError(`transcoder ${id} already runs with another input or format`);
        }
        if (!this.router.hasStream(input)) throw new NotFoundError(`stream ${input} is not published`);
        const transcoder = new AudioTranscoder(id, input, format, this.router);
        try {
          transcoder.start();
        } catch (err) {
          void transcoder.close();
          throw err;
        }
        this.transcoders.set(id, transcoder);
        return { streamId: id };
      },
      stopTranscode: async (transcoderId: unknown) => {
        const id = parseArg(streamIdSchema, transcoderId, 'transcoderId');
        const transcoder = this.transcoders.get(id);
        if (!transcoder) return { ok: true };
        this.transcoders.delete(id);
        await transcoder.close();
        return { ok: true };
      },
      getAudioStats: (): AudioNodeStats => this.stats(),
    };
  }

  stats(): AudioNodeStats {
    return {
      mixers: [...this.mixers.values()].map((m) => {
        const s = m.stats();
        return {
          mixerId: s.mixerId,
          inputs: s.inputs,
          outputs: s.outputs.map((o) => o.streamId),
          activeSpeaker: s.activeSpeaker,
          outputStats: s.outputs,
          skippedTicks: s.skippedTicks,
        };
      }),
      transcoders: [...this.transcoders.values()].map((t) => t.stats()),
    };
  }

  async close(): Promise<void> {
    const mixers = [...this.mixers.values()];
    const transcoders = [...this.transcoders.values()];
    this.mixers.clear();
    this.transcoders.clear();
    await Promise.all([...mixers.map((m) => m.destroy()), ...transcoders.map((t) => t.close())]);
    await this.media.close();
  }

  private mixer(mixerId: unknown): AudioMixer {
    const id = parseArg(mixerIdSchema, mixerId, 'mixerId');
    const mixer = this.mixers.get(id);
    if (!mixer) throw new NotFoundError(`mixer ${id} does not exist (initMixer first)`);
    return mixer;
  }

  private announceSpeaker(mixer: AudioMixer, streamId: string): void {
    const { controller, room } = mixer.mixerSpec;
    log.debug({ nodeId: this.nodeId, mixerId: mixer.mixerId, streamId }, 'active speaker');
    this.bus.cast(controller, 'onActiveAudio', [room, mixer.mixerId, streamId]);
  }
}

function sameFormat(a: AudioFormat, b: AudioFormat): boolean {
  return a.codec === b.codec && a.sampleRate === b.sampleRate && a.channels === b.channels;
}
