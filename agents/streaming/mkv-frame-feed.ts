import type { AudioCodec, MediaFrame, VideoCodec } from '../../common/media/media-frame.js';
import {
  annexBToLengthPrefixed,
  buildAacConfig,
  buildAvcC,
  buildOpusHead,
  buildWaveFormatEx,
  h264ParametersOf,
  stripAdts,
  vp8KeyframeSize,
} from './codec-config.js';
import { FrameTimeline } from './frame-timeline.js';
import { MatroskaWriter, type MkvTrack } from './matroska/matroska-writer.js';
import { AUDIO_CODEC_IDS, VIDEO_CODEC_IDS } from './matroska/mkv-codecs.js';

export interface FeedTracks {
  video?: { codec: VideoCodec; width: number; height: number };
  audio?: { codec: AudioCodec; sampleRate: number; channels: number };
}

export interface MkvFrameFeedOptions {
  /** Kinds to wait for before writing the header (false: that kind is never written). */
  audio: boolean;
  video: boolean;
  /** How long to wait for the other expected kind once one is ready. */
  trackWaitMs?: number;
  docType?: 'matroska' | 'webm';
  /** Frames held while waiting for the header; older ones are dropped. */
  maxBufferedFrames?: number;
  now?: () => number;
}

/** What happened to a pushed frame. */
export type FeedResult =
  | 'written'
  | 'buffered'
  /** Not writable yet (video before its first keyframe) or not wanted (kind off). */
  | 'dropped'
  /** Codec differs from the track already declared: the container must be restarted. */
  | 'incompatible';

interface Held {
  frame: MediaFrame;
  ms: number;
}

/**
 * MediaFrames → a live Matroska byte stream for ffmpeg's stdin (or a file). Declares the
 * tracks once their codec configuration is known (H.264 SPS/PPS from the first keyframe,
 * picture size, audio format), holds the frames until then, converts payloads to what
 * Matroska carries (Annex-B → length-prefixed, ADTS stripped) and maps timestamps onto one
 * timeline (FrameTimeline).
 */
export class MkvFrameFeed {
  readonly timeline: FrameTimeline;
  private writer: MatroskaWriter | undefined;
  private readonly held: Held[] = [];
  private readyVideo: FeedTracks['video'];
  private readyAudio: FeedTracks['audio'];
  private h264Config: Buffer | undefined;
  private firstReadyAt: number | undefined;
  private readonly now: () => number;
  private videoTrack = 0;
  private audioTrack = 0;
  framesWritten = 0;

  constructor(
    private readonly write: (chunks: Buffer[]) => void,
    private readonly options: MkvFrameFeedOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.timeline = new FrameTimeline(this.now);
  }

  /** Declared tracks, once the header is out. */
  get tracks(): FeedTracks | undefined {
    return this.writer ? { video: this.readyVideo, audio: this.readyAudio } : undefined;
  }

  get started(): boolean {
    return this.writer !== undefined;
  }

  /** A new source is linked: its timestamps start a new timeline segment. */
  resetTimeline(): void {
    this.timeline.reset();
  }

  push(frame: MediaFrame): FeedResult {
    if (frame.kind === 'video' ? !this.options.video : !this.options.audio) return 'dropped';
    if (this.writer) return this.writeFrame(frame, undefined);
    if (frame.kind === 'video') {
      if (!this.readyVideo) {
        const video = this.videoFormat(frame);
        if (!video) return 'dropped';
        this.readyVideo = video;
        this.firstReadyAt ??= this.now();
      } else if (frame.codec !== this.readyVideo.codec) return 'dropped';
    } else if (!this.readyAudio) {
      if (!AUDIO_CODEC_IDS[frame.codec]) return 'dropped';
      this.readyAudio = { codec: frame.codec, sampleRate: frame.sampleRate, channels: frame.channels };
      this.firstReadyAt ??= this.now();
    } else if (frame.codec !== this.readyAudio.codec) return 'dropped';
    this.held.push({ frame, ms: this.timeline.toMs(frame.kind, frame.timestamp, frame.clockRate) });
    if (this.held.length > (this.options.maxBufferedFrames ?? 1000)) this.held.shift();
    const allReady = (!this.options.video || this.readyVideo) && (!this.options.audio || this.readyAudio);
    const waited =
      this.firstReadyAt !== undefined && this.now() - this.firstReadyAt >= (this.options.trackWaitMs ?? 2000);
    if (!allReady && !waited) return 'buffered';
    this.start();
    return 'written';
  }

  private start(): void {
    const tracks: MkvTrack[] = [];
    if (this.readyVideo) {
      const v = this.readyVideo;
      tracks.push({
        kind: 'video',
        codecId: VIDEO_CODEC_IDS[v.codec] ?? 'V_VP8',
        codecPrivate: v.codec === 'h264' ? this.h264Config : undefined,
        width: v.width,
        height: v.height,
      });
    }
    if (this.readyAudio) {
      const a = this.readyAudio;
      tracks.push({
        kind: 'audio',
        codecId: AUDIO_CODEC_IDS[a.codec] ?? 'A_OPUS',
        codecPrivate: audioPrivate(a.codec, a.sampleRate, a.channels),
        sampleRate: a.sampleRate,
        channels: a.channels,
        bitDepth: a.codec === 'pcmu' || a.codec === 'pcma' ? 8 : undefined,
      });
    }
    this.writer = new MatroskaWriter(tracks, this.options.docType);
    this.videoTrack = this.writer.trackNumberOf('video');
    this.audioTrack = this.writer.trackNumberOf('audio');
    this.write([this.writer.header()]);
    const held = this.held.splice(0);
    for (const h of held) this.writeFrame(h.frame, h.ms);
  }

  private writeFrame(frame: MediaFrame, heldMs: number | undefined): FeedResult {
    const writer = this.writer!;
    if (frame.kind === 'video') {
      if (!this.readyVideo) return 'dropped';
      if (frame.codec !== this.readyVideo.codec) return 'incompatible';
      const ms = heldMs ?? this.timeline.toMs('video', frame.timestamp, frame.clockRate);
      const data = frame.codec === 'h264' ? annexBToLengthPrefixed(frame.payload) : frame.payload;
      this.write(writer.block(this.videoTrack, ms, frame.keyframe, data));
    } else {
      if (!this.readyAudio) return 'dropped';
      if (frame.codec !== this.readyAudio.codec) return 'incompatible';
      const ms = heldMs ?? this.timeline.toMs('audio', frame.timestamp, frame.clockRate);
      const data = frame.codec === 'aac' ? stripAdts(frame.payload) : frame.payload;
      this.write(writer.block(this.audioTrack, ms, true, data));
    }
    this.framesWritten++;
    return 'written';
  }

  private videoFormat(frame: MediaFrame & { kind: 'video' }): FeedTracks['video'] {
    if (!frame.keyframe || !VIDEO_CODEC_IDS[frame.codec]) return undefined;
    let { width, height } = frame;
    if (frame.codec === 'h264') {
      const params = h264ParametersOf(frame.payload);
      if (!params) return undefined;
      this.h264Config = buildAvcC(params.sps, params.pps);
      width ||= params.width;
      height ||= params.height;
    } else if (frame.codec === 'vp8' && (!width || !height)) {
      const size = vp8KeyframeSize(frame.payload);
      width = size?.width ?? 0;
      height = size?.height ?? 0;
    }
    return { codec: frame.codec, width: width || 640, height: height || 480 };
  }
}

function audioPrivate(codec: AudioCodec, sampleRate: number, channels: number): Buffer | undefined {
  switch (codec) {
    case 'opus':
      return buildOpusHead(channels, sampleRate);
    case 'aac':
      return buildAacConfig(sampleRate, channels);
    case 'pcmu':
      return buildWaveFormatEx(7, channels, sampleRate, 8);
    case 'pcma':
      return buildWaveFormatEx(6, channels, sampleRate, 8);
    default:
      return undefined;
  }
}
