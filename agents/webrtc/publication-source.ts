import type { MediaSource } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';

/**
 * One router stream of a WebRTC publication: the publication pushes frames in, feedback from
 * the stream's sinks goes back to the publication (keyframe request → PLI to the client).
 */
export class PublicationSource implements MediaSource {
  readonly type = 'webrtc';
  private deliverFn: ((frame: MediaFrame) => void) | undefined;

  constructor(private readonly feedback: (feedback: MediaFeedback) => void) {}

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliverFn = deliver;
  }

  push(frame: MediaFrame): void {
    this.deliverFn?.(frame);
  }

  onFeedback(feedback: MediaFeedback): void {
    this.feedback(feedback);
  }

  close(): void {
    this.deliverFn = undefined;
  }
}
