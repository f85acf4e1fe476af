import type { MediaFeedback } from './media-feedback.js';
import type { MediaFrame } from './media-frame.js';

/**
 * The two ends a MediaRouter connects. A link endpoint is one kind, a local generator another;
 * WebRTC transports and mixers implement the same interfaces later.
 */

/** Produces the frames of one published stream. */
export interface MediaSource {
  /** For stats and logs: 'internal', 'generator', 'webrtc'… */
  readonly type: string;
  /** Called once by publish(); the source then calls `deliver` for every frame until close(). */
  start(deliver: (frame: MediaFrame) => void): void;
  /** Feedback from a sink linked to this stream (keyframe request, target bitrate). */
  onFeedback(feedback: MediaFeedback): void;
  close(): void;
}

/** Consumes the frames of the stream it is linked to (at most one at a time). */
export interface MediaSink {
  readonly type: string;
  /** Linked to `streamId`; `feedback` reaches that stream's source until the next cutoff. */
  onLinkup(streamId: string, feedback: (feedback: MediaFeedback) => void): void;
  onCutoff(): void;
  onFrame(frame: MediaFrame): void;
  close(): void;
}
