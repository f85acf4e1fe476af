import { isDeepStrictEqual } from 'node:util';
import { NotFoundError, ValidationError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { MediaRouter } from '../../common/media/media-router.js';
import type { RpcHandlers } from '../../common/rpc/rpc-bus.js';
import type { MixerLayout, VideoNodeStats } from './protocol.js';
import { VideoMixer } from './video-mixer.js';
import {
  layoutAssignmentsSchema,
  parseArg,
  regionIdSchema,
  videoIdSchema,
  videoMixerSpecSchema,
  videoOutputSpecSchema,
} from './video-schemas.js';
import { VideoTranscoder } from './video-transcoder.js';

const log = createLogger('video-service');

/**
 * The mixers and transcoders of one video node, on its MediaRouter, and the RPC methods of
 * agents/video/protocol.ts over them. Every argument is validated before anything changes.
 */
export class VideoService {
  private readonly mixers = new Map<string, VideoMixer>();
  private readonly transcoders = new Map<string, VideoTranscoder>();

  constructor(private readonly router: MediaRouter) {}

  mixer(mixerId: string): VideoMixer {
    const mixer = this.mixers.get(mixerId);
    if (!mixer) throw new NotFoundError(`mixer ${mixerId} does not exist`);
    return mixer;
  }

  transcoder(transcoderId: string): VideoTranscoder {
    const transcoder = this.transcoders.get(transcoderId);
    if (!transcoder) throw new NotFoundError(`transcoder ${transcoderId} does not exist`);
    return transcoder;
  }

  stats(): VideoNodeStats {
    return {
      mixers: [...this.mixers.values()].map((m) => {
        const s = m.stats();
        return {
          mixerId: s.mixerId,
          inputs: s.inputs.map((i) => i.streamId),
          outputs: s.outputs.map((o) => ({
            streamId: o.streamId,
            frames: o.frames,
            droppedTicks: o.droppedTicks,
          })),
        };
      }),
      transcoders: [...this.transcoders.values()].map((t) => {
        const s = t.stats();
        return { transcoderId: s.transcoderId, input: s.input, frames: s.output.frames };
      }),
    };
  }

  handlers(): RpcHandlers {
    // Every argument is parsed before any lookup, so bad input is a ValidationError first.
    const mixerIdOf = (mixerId: unknown) => parseArg(videoIdSchema, mixerId, 'mixerId');
    const stream = (streamId: unknown, what = 'streamId') => parseArg(videoIdSchema, streamId, what);
    return {
      initMixer: (mixerId: unknown, spec: unknown): void => {
        const id = mixerIdOf(mixerId);
        const parsed = parseArg(videoMixerSpecSchema, spec, 'spec');
        const existing = this.mixers.get(id);
        if (existing) {
          // Idempotent: a repeated init keeps the running mixer (and its inputs).
          if (!isDeepStrictEqual(existing.spec, parsed))
            log.warn({ mixerId: id }, 'initMixer again with another spec: kept the first');
          return;
        }
        this.mixers.set(id, new VideoMixer(id, parsed, this.router));
      },
      destroyMixer: async (mixerId: unknown): Promise<void> => {
        const mixer = this.mixer(mixerIdOf(mixerId));
        this.mixers.delete(mixer.mixerId);
        await mixer.destroy();
      },
      addInput: (mixerId: unknown, streamId: unknown): MixerLayout => {
        const id = mixerIdOf(mixerId);
        const input = stream(streamId);
        return this.mixer(id).addInput(input);
      },
      removeInput: (mixerId: unknown, streamId: unknown): Promise<MixerLayout> => {
        const id = mixerIdOf(mixerId);
        const input = stream(streamId);
        return this.mixer(id).removeInput(input);
      },
      setActiveInput: (mixerId: unknown, streamId: unknown): MixerLayout => {
        const id = mixerIdOf(mixerId);
        const input = stream(streamId);
        return this.mixer(id).setActiveInput(input);
      },
      setRegion: (mixerId: unknown, streamId: unknown, regionId: unknown): MixerLayout => {
        const id = mixerIdOf(mixerId);
        const input = stream(streamId);
        const region = parseArg(regionIdSchema, regionId, 'regionId');
        return this.mixer(id).setRegion(input, region);
      },
      getRegion: (mixerId: unknown, streamId: unknown): { region: string } => {
        const id = mixerIdOf(mixerId);
        const input = stream(streamId);
        return this.mixer(id).getRegion(input);
      },
      setLayout: (mixerId: unknown, assignments: unknown): MixerLayout => {
        const id = mixerIdOf(mixerId);
        const requests = parseArg(layoutAssignmentsSchema, assignments, 'assignments');
        return this.mixer(id).setLayout(requests);
      },
      generate: (mixerId: unknown, spec: unknown): { streamId: string } => {
        const id = mixerIdOf(mixerId);
        const parsed = parseArg(videoOutputSpecSchema, spec, 'spec');
        return { streamId: this.mixer(id).generate(parsed) };
      },
      degenerate: async (mixerId: unknown, outputStreamId: unknown): Promise<void> => {
        const id = mixerIdOf(mixerId);
        const output = stream(outputStreamId, 'outputStreamId');
        await this.mixer(id).degenerate(output);
      },
      transcode: (transcoderId: unknown, inputStreamId: unknown, spec: unknown): { streamId: string } => {
        const id = parseArg(videoIdSchema, transcoderId, 'transcoderId');
        const input = stream(inputStreamId, 'inputStreamId');
        const parsed = parseArg(videoOutputSpecSchema, spec, 'spec');
        const existing = this.transcoders.get(id);
        if (existing) {
          if (existing.inputStreamId === input && isDeepStrictEqual(existing.spec, parsed))
            return { streamId: id };
          throw new ValidationError(`transcoder ${id} exists with another input or spec`);
        }
        this.transcoders.set(id, VideoTranscoder.start(id, input, parsed, this.router));
        return { streamId: id };
      },
      stopTranscode: async (transcoderId: unknown): Promise<void> => {
        const transcoder = this.transcoder(parseArg(videoIdSchema, transcoderId, 'transcoderId'));
        this.transcoders.delete(transcoder.transcoderId);
        await transcoder.stop();
      },
      getVideoStats: (): VideoNodeStats => this.stats(),
    };
  }

  /** Destroys every mixer and transcoder (before the router closes). */
  async close(): Promise<void> {
    const all = [...this.mixers.values()].map((m) => m.destroy());
    all.push(...[...this.transcoders.values()].map((t) => t.stop()));
    this.mixers.clear();
    this.transcoders.clear();
    await Promise.all(all);
  }
}
