/**
 * The audio node's RPC interface (a node of an `audio` agent; the conference schedules it with
 * task = mixer id for a view, or transcoder id). Inputs are router streams linked to the node by
 * the conference (their audio frames are used, video frames ignored); outputs are router streams
 * published by the node.
 *
 * Methods (besides the media primitives under MEDIA_PRIMITIVE_METHODS names + getLinkAddress):
 * - initMixer(mixerId, spec: AudioMixerSpec): void             idempotent for the same id
 * - destroyMixer(mixerId): void
 * - addInput(mixerId, streamId, owner: string): void           owner = participant id
 * - removeInput(mixerId, streamId): void
 * - generate(mixerId, spec: AudioOutputSpec): { streamId }     idempotent per spec
 *       spec.exclude set: the mix without that participant's inputs (their own voice)
 * - degenerate(mixerId, outputStreamId): void
 * - transcode(transcoderId, inputStreamId, spec: AudioFormat): { streamId }   streamId = transcoderId
 * - stopTranscode(transcoderId): void
 * - getAudioStats(): AudioNodeStats
 *
 * Active speaker (spec.vad): the node casts to spec.controller
 *   onActiveAudio(room, mixerId, streamId)
 * when the loudest input (voice activity sustained for a while) changes.
 */

export type MixableAudioCodec = 'opus' | 'pcmu' | 'pcma' | 'aac';

export interface AudioFormat {
  codec: MixableAudioCodec;
  sampleRate: number;
  channels: number;
}

export interface AudioMixerSpec {
  room: string;
  /** RPC id of the conference node that gets onActiveAudio. */
  controller: string;
  vad: boolean;
}

export interface AudioOutputSpec extends AudioFormat {
  /** Participant whose inputs are left out of this output (minus-one mix). */
  exclude?: string;
}

export interface AudioNodeStats {
  mixers: {
    mixerId: string;
    inputs: { streamId: string; owner: string; level: number }[];
    outputs: string[];
  }[];
  transcoders: { transcoderId: string; input: string; frames: number }[];
}

/** Output stream id of a mixer for one spec (deterministic: generate is idempotent). */
export function audioMixerOutputId(mixerId: string, spec: AudioOutputSpec): string {
  const base = `${mixerId}/a/${spec.codec}-${spec.sampleRate}-${spec.channels}`;
  return spec.exclude ? `${base}-minus-${spec.exclude}` : base;
}
