import { createLogger } from '../../common/logger.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { splitAnnexB } from '../webrtc/rtp/annexb.js';
import { NAL_IDR } from '../webrtc/rtp/h264.js';
import {
  type AvcConfig,
  h264ParametersOf,
  lengthPrefixedToAnnexB,
  parseAvcC,
  vp8KeyframeSize,
} from './codec-config.js';
import { MatroskaReader, type MkvReadTrack } from './matroska/matroska-reader.js';
import { audioCodecOf, videoCodecOf } from './matroska/mkv-codecs.js';

const log = createLogger('mkv-frame-extractor');

/** What the extracted stream carries, for stream info (codec, size, audio format). */
export interface ExtractedMedia {
  video?: { codec: string; width: number; height: number };
  audio?: { codec: string; sampleRate: number; channels: number };
}

/** Matroska CodecIDs of tracks no MediaFrame codec carries (MJPEG, MPEG-4 ASP, G.711 as ACM…). */
export interface UnsupportedTracks {
  video?: string;
  audio?: string;
}

const VIDEO_CLOCK = 90_000;

/**
 * Live Matroska (from ffmpeg) → MediaFrames: H.264 back to Annex-B with SPS/PPS in front of
 * every IDR, keyframes checked against the bitstream, sizes from the bitstream when it has
 * them, timestamps from ms to the codec clock (90 kHz video, the sample rate for audio).
 */
export class MkvFrameExtractor {
  private readonly reader: MatroskaReader;
  private avc: AvcConfig | undefined;
  private width = 0;
  private height = 0;
  media: ExtractedMedia = {};

  constructor(
    private readonly onFrame: (frame: MediaFrame) => void,
    private readonly onMedia: (media: ExtractedMedia, unsupported: UnsupportedTracks) => void = () => {},
  ) {
    this.reader = new MatroskaReader({
      tracks: (tracks) => this.onTracks(tracks),
      block: (track, ms, keyframe, data) => this.onBlock(track, ms, keyframe, data),
    });
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  private onTracks(tracks: MkvReadTrack[]): void {
    const media: ExtractedMedia = {};
    const unsupported: UnsupportedTracks = {};
    for (const t of tracks) {
      if (t.kind === 'video' && !media.video) {
        const codec = videoCodecOf(t.codecId);
        if (!codec) {
          log.debug({ codecId: t.codecId }, 'video codec not supported; track ignored');
          unsupported.video ??= t.codecId;
          continue;
        }
        if (codec === 'h264' && t.codecPrivate) this.avc = parseAvcC(t.codecPrivate);
        this.width = t.width;
        this.height = t.height;
        media.video = { codec, width: t.width, height: t.height };
      } else if (t.kind === 'audio' && !media.audio) {
        const codec = audioCodecOf(t.codecId);
        if (!codec) {
          log.debug({ codecId: t.codecId }, 'audio codec not supported; track ignored');
          unsupported.audio ??= t.codecId;
          continue;
        }
        media.audio = { codec, sampleRate: t.sampleRate, channels: t.channels };
      }
    }
    this.media = media;
    this.onMedia(media, unsupported);
  }

  private onBlock(track: MkvReadTrack, ms: number, flag: boolean | undefined, data: Uint8Array): void {
    if (track.kind === 'video') {
      const codec = videoCodecOf(track.codecId);
      if (!codec || this.media.video?.codec !== codec) return;
      let payload: Uint8Array = data;
      let keyframe = flag ?? false;
      if (codec === 'h264') {
        const lengthSize = this.avc?.lengthSize ?? 4;
        const plain = lengthPrefixedToAnnexB(data, lengthSize);
        keyframe = splitAnnexB(plain).some((nal) => (nal[0]! & 0x1f) === NAL_IDR);
        const inBand = keyframe ? h264ParametersOf(plain) : undefined;
        payload =
          keyframe && !inBand && this.avc
            ? lengthPrefixedToAnnexB(data, lengthSize, [...this.avc.sps, ...this.avc.pps])
            : plain;
        if (inBand) this.setSize(inBand.width, inBand.height);
      } else if (codec === 'vp8') {
        const size = vp8KeyframeSize(data);
        keyframe = size !== undefined;
        if (size) this.setSize(size.width, size.height);
      }
      this.onFrame({
        kind: 'video',
        codec,
        keyframe,
        timestamp: Math.round((ms * VIDEO_CLOCK) / 1000),
        clockRate: VIDEO_CLOCK,
        width: keyframe ? this.width : 0,
        height: keyframe ? this.height : 0,
        payload,
      });
    } else {
      const codec = audioCodecOf(track.codecId);
      if (!codec || this.media.audio?.codec !== codec) return;
      const rate = codec === 'opus' ? 48_000 : track.sampleRate;
      this.onFrame({
        kind: 'audio',
        codec,
        timestamp: Math.round((ms * rate) / 1000),
        clockRate: rate,
        sampleRate: track.sampleRate,
        channels: track.channels,
        payload: data,
      });
    }
  }

  private setSize(width: number, height: number): void {
    if (width && height) {
      this.width = width;
      this.height = height;
    }
  }
}
