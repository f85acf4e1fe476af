import type { MediaSink } from '../media/media-endpoint.js';
import { KEYFRAME_REQUEST, type MediaFeedback } from '../media/media-feedback.js';
import type { MediaFrame, MediaKind } from '../media/media-frame.js';
import type { LinkAddress, LinkHub } from './link-hub.js';
import type { MediaLink } from './media-link.js';

interface Attachment {
  link: MediaLink;
  wireStreamId: string;
  release: () => void;
  onFeedback: (streamId: string, feedback: MediaFeedback) => void;
}

/**
 * A subscription that sends its stream to another node over an internal link. The link
 * carries it under `remoteStreamId`, or the linked stream's own id when not given. Feedback
 * from the far side (and from the link's slow-consumer policy) goes to the source.
 */
export class LinkSink implements MediaSink {
  readonly type = 'internal';
  private attachment: Attachment | undefined;
  private lastDialAt = 0;

  constructor(
    private readonly hub: LinkHub,
    readonly toNodeId: string,
    readonly address: LinkAddress,
    readonly remoteStreamId?: string,
    /** Only frames of these kinds cross (an audio mixer needs no video); all when absent. */
    readonly kinds?: readonly MediaKind[],
  ) {}

  onLinkup(streamId: string, feedback: (feedback: MediaFeedback) => void): void {
    this.onCutoff();
    const wireStreamId = this.remoteStreamId ?? streamId;
    const release = this.hub.claimOutgoing(this.toNodeId, wireStreamId);
    const onFeedback = (id: string, fb: MediaFeedback) => {
      if (id === wireStreamId) feedback(fb);
    };
    const link = this.hub.linkTo(this.toNodeId, this.address);
    this.attachment = { link, wireStreamId, release, onFeedback };
    this.useLink(link);
  }

  private useLink(link: MediaLink): void {
    const a = this.attachment!;
    a.link = link;
    link.on('feedback', a.onFeedback);
    link.announceStream(a.wireStreamId);
  }

  onCutoff(): void {
    const a = this.attachment;
    if (!a) return;
    this.attachment = undefined;
    a.link.off('feedback', a.onFeedback);
    a.link.endStream(a.wireStreamId);
    a.release();
  }

  onFrame(frame: MediaFrame): void {
    if (this.kinds && !this.kinds.includes(frame.kind)) return;
    const a = this.attachment;
    if (!a) return;
    if (a.link.state === 'closed') {
      // At most one new dial per second, or a refusing peer would be dialled at frame rate.
      if (Date.now() - this.lastDialAt < 1_000) return;
      this.lastDialAt = Date.now();
      // Closed for good (refused, peer closed it): dial again; the source gets a keyframe request.
      a.link.off('feedback', a.onFeedback);
      this.useLink(this.hub.linkTo(this.toNodeId, this.address));
      a.link.once('open', () => a.onFeedback(a.wireStreamId, KEYFRAME_REQUEST));
    }
    a.link.sendFrame(a.wireStreamId, frame);
  }

  close(): void {
    this.onCutoff();
  }
}
