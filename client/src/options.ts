import type { AudioSource, Resolution, SubscribeTrackRequest, VideoSource } from './protocol.js';

/** One simulcast encoding of the published video (Chrome: rids with scaleResolutionDownBy). */
export interface SimulcastLayer {
  rid: string;
  scaleResolutionDownBy?: number;
  maxBitrate?: number;
  active?: boolean;
}

export interface PublishOptions {
  /** false: do not publish the stream's audio track. */
  audio?:
    | false
    | {
        /** Codec names in order of preference, e.g. ['opus']. */
        codecs?: string[];
        maxBitrate?: number;
        source?: AudioSource;
      };
  video?:
    | false
    | {
        /** Codec names in order of preference, e.g. ['h264', 'vp8']. */
        codecs?: string[];
        /** Bits per second (ignored per layer when simulcast layers set their own). */
        maxBitrate?: number;
        source?: VideoSource;
        simulcast?: SimulcastLayer[];
      };
  /** Free-form attributes shown to the room in the stream's info. */
  attributes?: Record<string, unknown>;
}

export interface VideoSubscribeOptions {
  codecs?: string[];
  /** Ask for a resolution (the server picks the matching simulcast layer or transcodes). */
  resolution?: Resolution;
  frameRate?: number;
  /** Relative bitrate, sent as 'xN' (e.g. 0.8 → 'x0.8'). */
  bitrateMultiplier?: number;
  keyFrameInterval?: number;
  /** Subscribe to one simulcast layer by rid (its track id is sent as `from`). */
  rid?: string;
}

export interface SubscribeOptions {
  audio?: boolean | { codecs?: string[] };
  video?: boolean | VideoSubscribeOptions;
}

/** The `parameters` of a subscribe track or a subscription update, only with what was asked. */
export function videoParameters(
  options: VideoSubscribeOptions,
): SubscribeTrackRequest['parameters'] | undefined {
  const parameters: NonNullable<SubscribeTrackRequest['parameters']> = {};
  if (options.resolution)
    parameters.resolution = { width: options.resolution.width, height: options.resolution.height };
  if (options.frameRate !== undefined) parameters.framerate = options.frameRate;
  if (options.bitrateMultiplier !== undefined) parameters.bitrate = `x${options.bitrateMultiplier}`;
  if (options.keyFrameInterval !== undefined) parameters.keyFrameInterval = options.keyFrameInterval;
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}
