import type { AudioFormat, AudioMixerSpec, AudioOutputSpec } from '../agents/audio/protocol.js';
import type { RegionAssignment } from '../agents/video/layout/index.js';
import type { MixerLayout, VideoMixerSpec, VideoOutputSpec } from '../agents/video/protocol.js';
import type { MediaClient } from './media-client.js';

/**
 * Typed calls to video and audio nodes (agents/video/protocol.ts, agents/audio/protocol.ts).
 * Layouts come back as the node computed them: the node is the authority on where inputs are.
 */
export class MixerClient {
  constructor(private readonly media: MediaClient) {}

  initVideoMixer(nodeId: string, mixerId: string, spec: VideoMixerSpec): Promise<unknown> {
    return this.media.callNode(nodeId, 'initMixer', [mixerId, spec]);
  }

  initAudioMixer(nodeId: string, mixerId: string, spec: AudioMixerSpec): Promise<unknown> {
    return this.media.callNode(nodeId, 'initMixer', [mixerId, spec]);
  }

  destroyMixer(nodeId: string, mixerId: string): Promise<unknown> {
    return this.media.callNode(nodeId, 'destroyMixer', [mixerId]);
  }

  async addVideoInput(nodeId: string, mixerId: string, streamId: string): Promise<RegionAssignment[]> {
    return (await this.media.callNode<MixerLayout>(nodeId, 'addInput', [mixerId, streamId])).layout;
  }

  addAudioInput(nodeId: string, mixerId: string, streamId: string, owner: string): Promise<unknown> {
    return this.media.callNode(nodeId, 'addInput', [mixerId, streamId, owner]);
  }

  /** Video nodes answer with the new layout, audio nodes with nothing of interest. */
  removeInput(nodeId: string, mixerId: string, streamId: string): Promise<Partial<MixerLayout> | undefined> {
    return this.media.callNode(nodeId, 'removeInput', [mixerId, streamId]);
  }

  async setActiveInput(nodeId: string, mixerId: string, streamId: string): Promise<RegionAssignment[]> {
    return (await this.media.callNode<MixerLayout>(nodeId, 'setActiveInput', [mixerId, streamId])).layout;
  }

  async setRegion(
    nodeId: string,
    mixerId: string,
    streamId: string,
    regionId: string,
  ): Promise<RegionAssignment[]> {
    return (await this.media.callNode<MixerLayout>(nodeId, 'setRegion', [mixerId, streamId, regionId]))
      .layout;
  }

  async getRegion(nodeId: string, mixerId: string, streamId: string): Promise<string> {
    return (await this.media.callNode<{ region: string }>(nodeId, 'getRegion', [mixerId, streamId])).region;
  }

  async setLayout(
    nodeId: string,
    mixerId: string,
    assignments: { stream: string; region: string }[],
  ): Promise<RegionAssignment[]> {
    return (await this.media.callNode<MixerLayout>(nodeId, 'setLayout', [mixerId, assignments])).layout;
  }

  async generate(nodeId: string, mixerId: string, spec: VideoOutputSpec | AudioOutputSpec): Promise<string> {
    return (await this.media.callNode<{ streamId: string }>(nodeId, 'generate', [mixerId, spec])).streamId;
  }

  degenerate(nodeId: string, mixerId: string, outputStreamId: string): Promise<unknown> {
    return this.media.callNode(nodeId, 'degenerate', [mixerId, outputStreamId]);
  }

  async transcode(
    nodeId: string,
    transcoderId: string,
    inputStreamId: string,
    spec: VideoOutputSpec | AudioFormat,
  ): Promise<string> {
    return (
      await this.media.callNode<{ streamId: string }>(nodeId, 'transcode', [
        transcoderId,
        inputStreamId,
        spec,
      ])
    ).streamId;
  }

  stopTranscode(nodeId: string, transcoderId: string): Promise<unknown> {
    return this.media.callNode(nodeId, 'stopTranscode', [transcoderId]);
  }
}
