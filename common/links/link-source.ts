import { createLogger } from '../logger.js';
import type { MediaSource } from '../media/media-endpoint.js';
import type { MediaFeedback } from '../media/media-feedback.js';
import type { MediaFrame } from '../media/media-frame.js';
import type { LinkHub } from './link-hub.js';

const log = createLogger('link-source');

/** A published stream whose frames arrive from another node over an internal link. */
export class LinkSource implements MediaSource {
  readonly type = 'internal';
  private stopReceiving: (() => void) | undefined;

  constructor(
    private readonly hub: LinkHub,
    readonly fromNodeId: string,
    /** The stream id the sending node uses on the link. */
    readonly remoteStreamId: string,
  ) {}

  start(deliver: (frame: MediaFrame) => void): void {
    this.stopReceiving = this.hub.receive(this.fromNodeId, this.remoteStreamId, deliver);
  }

  onFeedback(feedback: MediaFeedback): void {
    if (!this.hub.sendFeedback(this.fromNodeId, this.remoteStreamId, feedback)) {
      log.debug({ from: this.fromNodeId, streamId: this.remoteStreamId }, 'no open link for feedback');
    }
  }

  close(): void {
    this.stopReceiving?.();
    this.stopReceiving = undefined;
  }
}
