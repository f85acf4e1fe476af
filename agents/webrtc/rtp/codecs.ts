import type { AudioCodec, VideoCodec } from '../../../common/media/media-frame.js';
import { Av1Depacketizer, Av1Packetizer } from './av1.js';
import type { Depacketizer } from './depacketizer.js';
import { H264Depacketizer, H264Packetizer } from './h264.js';
import { OpusDepacketizer, OpusPacketizer } from './opus.js';
import type { Packetizer } from './packetizer.js';
import { PacketizeError, RtpParseError } from './rtp-errors.js';
import { Vp8Depacketizer, Vp8Packetizer } from './vp8.js';
import { Vp9Depacketizer, Vp9Packetizer } from './vp9.js';

/** Codecs this folder can (de)packetize, and their RTP clock rates. */
export const RTP_CODECS = ['vp8', 'vp9', 'h264', 'av1', 'opus'] as const;
export type RtpCodec = (typeof RTP_CODECS)[number];

export function isRtpCodec(codec: VideoCodec | AudioCodec | string): codec is RtpCodec {
  return (RTP_CODECS as readonly string[]).includes(codec);
}

export function rtpClockRate(codec: RtpCodec): number {
  return codec === 'opus' ? 48000 : 90000;
}

export function createDepacketizer(codec: VideoCodec | AudioCodec): Depacketizer {
  switch (codec) {
    case 'vp8':
      return new Vp8Depacketizer();
    case 'vp9':
      return new Vp9Depacketizer();
    case 'h264':
      return new H264Depacketizer();
    case 'av1':
      return new Av1Depacketizer();
    case 'opus':
      return new OpusDepacketizer();
    default:
      throw new RtpParseError(`no RTP depacketizer for ${codec}`);
  }
}

export interface PacketizerOptions {
  /** H264 only. */
  packetizationMode?: 0 | 1;
}

export function createPacketizer(
  codec: VideoCodec | AudioCodec,
  options: PacketizerOptions = {},
): Packetizer {
  switch (codec) {
    case 'vp8':
      return new Vp8Packetizer();
    case 'vp9':
      return new Vp9Packetizer();
    case 'h264':
      return new H264Packetizer({ packetizationMode: options.packetizationMode ?? 1 });
    case 'av1':
      return new Av1Packetizer();
    case 'opus':
      return new OpusPacketizer();
    default:
      throw new PacketizeError(`no RTP packetizer for ${codec}`);
  }
}
