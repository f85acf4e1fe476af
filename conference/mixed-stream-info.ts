import type { RegionAssignment } from '../agents/video/layout/index.js';
import type { RoomConfig } from './room-config.js';
import { optionalOf, type Resolution, type TrackFormat, type TrackInfo } from './stream-info.js';

/**
 * StreamInfo of a room's mixed streams (one per view), as OWT's MixedStream gives it: tracks
 * without ids or mids, the view's formats and parameters, info {label, activeInput, layout}.
 */

export type ViewConfig = RoomConfig['views'][number];

export interface MixedTrackInfo {
  type: 'audio' | 'video';
  format: TrackFormat;
  parameters?: { resolution: Resolution; framerate: number; bitrate: number; keyFrameInterval: number };
  status: 'active';
  optional?: TrackInfo['optional'];
}

export interface MixedStreamInfo {
  id: string;
  type: 'mixed';
  media: { tracks: MixedTrackInfo[] };
  info: { label: string; activeInput: string; layout: RegionAssignment[] };
}

/** OWT names a view's mixed stream after the room and the view. */
export const mixedStreamId = (roomId: string, label: string): string => `${roomId}-${label}`;

/**
 * kbps of a view without an explicit bitrate: 0.1 bit per pixel and frame scaled by the view's
 * motionFactor (640x480@24 → ≈590 kbps, 1280x720@30 → ≈2.2 Mbps).
 */
export function defaultViewBitrate(resolution: Resolution, framerate: number, motionFactor: number): number {
  return Math.max(
    100,
    Math.round((resolution.width * resolution.height * framerate * 0.1 * motionFactor) / 1000),
  );
}

/** The video parameters a view's mixer produces by default. */
export function viewVideoParameters(view: ViewConfig): NonNullable<MixedTrackInfo['parameters']> | undefined {
  if (view.video === false) return undefined;
  const p = view.video.parameters;
  return {
    resolution: { ...p.resolution },
    framerate: p.framerate,
    bitrate: p.bitrate ?? defaultViewBitrate(p.resolution, p.framerate, view.video.motionFactor),
    keyFrameInterval: p.keyFrameInterval,
  };
}

export function buildMixedStreamInfo(
  roomId: string,
  view: ViewConfig,
  config: RoomConfig,
  state: { activeInput: string; layout: RegionAssignment[] },
): MixedStreamInfo {
  const tracks: MixedTrackInfo[] = [];
  if (view.audio !== false) {
    const format = { ...view.audio.format };
    tracks.push({
      type: 'audio',
      format,
      status: 'active',
      optional: optionalOf({ type: 'audio', format }, config),
    });
  }
  const parameters = viewVideoParameters(view);
  if (view.video !== false && parameters) {
    const format = { ...view.video.format };
    tracks.push({
      type: 'video',
      format,
      parameters,
      status: 'active',
      optional: optionalOf({ type: 'video', format, parameters }, config),
    });
  }
  return {
    id: mixedStreamId(roomId, view.label),
    type: 'mixed',
    media: { tracks },
    info: { label: view.label, activeInput: state.activeInput, layout: state.layout },
  };
}
