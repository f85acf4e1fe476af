import type { FeedTracks } from '../streaming/mkv-frame-feed.js';
import type { OutputPlan } from '../streaming/piped-ffmpeg-output.js';
import { videoEncoderOptions } from '../streaming/streaming-out-plan.js';

export type Container = 'mp4' | 'mkv' | 'webm' | 'ts';
export type ContainerChoice = Container | 'auto';

/** Codecs each container takes as they are; anything else is transcoded to the first one. */
export const CONTAINER_CODECS: Record<Container, { video: string[]; audio: string[] }> = {
  mkv: { video: ['vp8', 'vp9', 'av1', 'h264'], audio: ['opus', 'aac', 'pcmu', 'pcma'] },
  webm: { video: ['vp8', 'vp9', 'av1'], audio: ['opus'] },
  mp4: { video: ['h264', 'vp9', 'av1'], audio: ['aac', 'opus'] },
  ts: { video: ['h264'], audio: ['aac', 'opus'] },
};

const EXTENSIONS: Record<Container, string> = { mkv: 'mkv', webm: 'webm', mp4: 'mp4', ts: 'ts' };

/** `auto`: MP4 for H.264/AAC, WebM for VP8/VP9/AV1/Opus, Matroska for any other mix. */
export function chooseContainer(choice: ContainerChoice, tracks: FeedTracks): Container {
  if (choice !== 'auto') return choice;
  const codecs = [tracks.video?.codec, tracks.audio?.codec].filter(
    (c): c is NonNullable<typeof c> => c !== undefined,
  );
  if (codecs.every((c) => c === 'h264' || c === 'aac')) return 'mp4';
  if (codecs.every((c) => c === 'vp8' || c === 'vp9' || c === 'av1' || c === 'opus')) return 'webm';
  return 'mkv';
}

export function extensionOf(container: Container): string {
  return EXTENSIONS[container];
}

/**
 * ffmpeg arguments writing `target`: copy what the container takes, transcode the rest, and
 * keep the file playable if the process dies (fragmented MP4, small Matroska clusters,
 * a flush per packet).
 */
export function recordingPlan(container: Container, target: string, tracks: FeedTracks): OutputPlan {
  const allowed = CONTAINER_CODECS[container];
  const out: string[] = [];
  const transcode = { audio: false, video: false };
  if (tracks.video) {
    out.push('-map', '0:v:0');
    if (allowed.video.includes(tracks.video.codec)) out.push('-c:v', 'copy');
    else {
      transcode.video = true;
      if (container === 'webm')
        out.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k');
      else out.push(...videoEncoderOptions({ keyFrameInterval: 2 }));
    }
  }
  if (tracks.audio) {
    out.push('-map', '0:a:0');
    if (allowed.audio.includes(tracks.audio.codec)) out.push('-c:a', 'copy');
    else {
      transcode.audio = true;
      if (container === 'webm') out.push('-c:a', 'libopus', '-ar', '48000');
      else out.push('-c:a', 'aac', '-b:a', '128k', '-ar', '48000');
    }
  }
  let format: string;
  switch (container) {
    case 'mp4':
      format = 'mp4';
      out.push('-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-frag_duration', '1000000');
      break;
    case 'mkv':
    case 'webm':
      format = container === 'mkv' ? 'matroska' : 'webm';
      out.push('-cluster_time_limit', '1000');
      break;
    case 'ts':
      format = 'mpegts';
      break;
  }
  out.push('-flush_packets', '1', '-y');
  return {
    ffmpeg: {
      inputFormat: 'matroska',
      inputOptions: ['-fflags', '+genpts', '-probesize', '1000000', '-analyzeduration', '1000000'],
      outputOptions: out,
      format,
      target,
    },
    transcode,
  };
}
