import type { FeedTracks } from './mkv-frame-feed.js';

/**
 * Status events of an ffmpeg-backed output (streaming-out, recording). The node forwards them
 * (docs/streaming.md): `started` per ffmpeg launch, `active` once it has run for a while,
 * `retrying` after a failure, `switched` when the linked stream changed, `stopped` for good.
 */
export type OutputStatus =
  | {
      status: 'started';
      attempt: number;
      tracks: FeedTracks;
      transcode: { audio: boolean; video: boolean };
      target: string;
    }
  | { status: 'active'; attempt: number }
  | { status: 'retrying'; attempt: number; delayMs: number; reason: string }
  | { status: 'switched'; streamId: string; restarted: boolean }
  | { status: 'stopped'; reason: 'closed' | 'disk-full' | 'failed'; detail?: string };
