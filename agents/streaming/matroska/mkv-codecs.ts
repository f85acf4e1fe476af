import type { AudioCodec, VideoCodec } from '../../../common/media/media-frame.js';

/** Matroska CodecIDs of the MediaFrame codecs we carry in Matroska. */
export const VIDEO_CODEC_IDS: Partial<Record<VideoCodec, string>> = {
  vp8: 'V_VP8',
  vp9: 'V_VP9',
  av1: 'V_AV1',
  h264: 'V_MPEG4/ISO/AVC',
};

export const AUDIO_CODEC_IDS: Partial<Record<AudioCodec, string>> = {
  opus: 'A_OPUS',
  aac: 'A_AAC',
  pcmu: 'A_MS/ACM',
  pcma: 'A_MS/ACM',
};

export function videoCodecOf(codecId: string): VideoCodec | undefined {
  for (const [codec, id] of Object.entries(VIDEO_CODEC_IDS)) if (id === codecId) return codec as VideoCodec;
  return undefined;
}

export function audioCodecOf(codecId: string): AudioCodec | undefined {
  if (codecId === 'A_OPUS') return 'opus';
  if (codecId.startsWith('A_AAC')) return 'aac';
  return undefined;
}
