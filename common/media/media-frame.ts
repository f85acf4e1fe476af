/**
 * A whole encoded frame: what access nodes hand to the rest of the system. Nothing behind
 * an access node sees RTP. Timestamps are in the codec's clock (90 kHz video, 48 kHz Opus…)
 * and unwrapped (monotonic, not modulo 2^32), so they compare directly.
 */

export type MediaKind = 'audio' | 'video';
export const VIDEO_CODECS = ['vp8', 'vp9', 'h264', 'h265', 'av1'] as const;
export const AUDIO_CODECS = ['opus', 'pcmu', 'pcma', 'aac', 'g722'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];
export type AudioCodec = (typeof AUDIO_CODECS)[number];

interface FrameBase {
  /** Unwrapped timestamp in units of clockRate. */
  timestamp: number;
  clockRate: number;
  payload: Uint8Array;
}

export interface VideoFrame extends FrameBase {
  kind: 'video';
  codec: VideoCodec;
  keyframe: boolean;
  /** Known on keyframes whose bitstream carries them (0 when unknown). */
  width: number;
  height: number;
}

export interface AudioFrame extends FrameBase {
  kind: 'audio';
  codec: AudioCodec;
  sampleRate: number;
  channels: number;
}

export type MediaFrame = VideoFrame | AudioFrame;
