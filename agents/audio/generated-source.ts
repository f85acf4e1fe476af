import type { MediaSource } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';

/**
 * A router stream whose frames this node makes (a mixer output, a transcoder). Audio has no
 * keyframes and the bitrate is the spec's, so feedback is accepted and ignored. `onClose`
 * runs when the router unpublishes it, whoever asked: the producer then stops.
 */
export class GeneratedSource implements MediaSource {
  readonly type: string;
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private closed = false;
  frames = 0;

  constructor(
    type: string,
    private readonly onClose: () => void,
  ) {
    this.type = type;
  }

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
  }

  push(frame: MediaFrame): void {
    if (!this.deliver) return;
    this.frames++;
    this.deliver(frame);
  }

  onFeedback(_feedback: MediaFeedback): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deliver = undefined;
    this.onClose();
  }
}
