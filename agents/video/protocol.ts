/**
 * The video node's RPC interface (a node of a `video` agent; the conference schedules it with
 * task = mixer id for a view, or transcoder id). Frames arrive as router streams linked to the
 * node by the conference (media primitives, `internal` sources) and leave as router streams
 * published by the node (outputs), which the conference links onwards.
 *
 * Methods (besides the media primitives under MEDIA_PRIMITIVE_METHODS names + getLinkAddress):
 * - initMixer(mixerId, spec: VideoMixerSpec): void            idempotent for the same id
 * - destroyMixer(mixerId): void                                outputs unpublished, inputs released
 * - addInput(mixerId, streamId): MixerLayout                    streamId: a router stream on this node
 * - removeInput(mixerId, streamId): MixerLayout
 * - setActiveInput(mixerId, streamId): MixerLayout             active speaker (keepActiveInputPrimary)
 * - setRegion(mixerId, streamId, regionId): MixerLayout        pins an input to a region
 * - getRegion(mixerId, streamId): { region: string }
 * - setLayout(mixerId, assignments: {stream, region}[]): MixerLayout   REST /info/layout replace
 * - generate(mixerId, spec: VideoOutputSpec): { streamId }     idempotent per spec
 * - degenerate(mixerId, outputStreamId): void
 * - transcode(transcoderId, inputStreamId, spec: VideoOutputSpec): { streamId }   streamId = transcoderId
 * - stopTranscode(transcoderId): void
 * - getVideoStats(): VideoNodeStats
 */
import type { LayoutSpec, RegionAssignment } from './layout/index.js';

export interface Resolution {
  width: number;
  height: number;
}

export interface VideoMixerSpec {
  /** Canvas size (the view's resolution); outputs of another size are scaled from it. */
  resolution: Resolution;
  framerate: number;
  layout: LayoutSpec;
}

export interface VideoOutputSpec {
  codec: 'vp8' | 'vp9' | 'h264';
  resolution: Resolution;
  framerate: number;
  /** kbps */
  bitrate: number;
  /** Seconds between keyframes (OWT's unit); keyframes also come on request. */
  keyFrameInterval: number;
}

/** The mixer's current arrangement (StreamInfo `info.layout` of the mixed stream). */
export interface MixerLayout {
  layout: RegionAssignment[];
}

export interface VideoNodeStats {
  mixers: {
    mixerId: string;
    inputs: string[];
    outputs: { streamId: string; frames: number; droppedTicks: number }[];
  }[];
  transcoders: { transcoderId: string; input: string; frames: number }[];
}

/** Output stream id of a mixer for one spec (deterministic: generate is idempotent). */
export function mixerOutputId(mixerId: string, spec: VideoOutputSpec): string {
  const { codec, resolution, framerate, bitrate, keyFrameInterval } = spec;
  return `${mixerId}/v/${codec}-${resolution.width}x${resolution.height}-${framerate}-${bitrate}-${keyFrameInterval}`;
}
