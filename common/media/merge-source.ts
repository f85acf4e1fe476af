import { createLogger } from '../logger.js';
import type { MediaSink, MediaSource } from './media-endpoint.js';
import type { MediaFeedback } from './media-feedback.js';
import type { MediaFrame, MediaKind } from './media-frame.js';
import type { MediaRouter } from './media-router.js';

const log = createLogger('merge-source');

/**
 * One stream made of the audio of one router stream and the video of another, on the same
 * node: a mixed view's audio (audio node) and video (video node) reach a subscriber or an
 * output as one stream, as do the tracks of a subscription that names two publications.
 * Feedback (keyframe requests, bitrate) goes to the video input.
 */
export class MergeSource implements MediaSource {
  readonly type = 'merge';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private readonly feedbackTo = new Map<MediaKind, (feedback: MediaFeedback) => void>();
  private readonly subscriptionIds: string[] = [];

  constructor(
    private readonly router: MediaRouter,
    private readonly streamId: string,
    private readonly inputs: { audio?: string; video?: string },
  ) {}

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
    for (const kind of ['audio', 'video'] as const) {
      const input = this.inputs[kind];
      if (input === undefined) continue;
      const subscriptionId = `${this.streamId}#${kind}`;
      this.router.subscribe(subscriptionId, this.sinkFor(kind));
      this.subscriptionIds.push(subscriptionId);
      this.router.linkup(subscriptionId, input);
    }
  }

  onFeedback(feedback: MediaFeedback): void {
    (this.feedbackTo.get('video') ?? this.feedbackTo.get('audio'))?.(feedback);
  }

  close(): void {
    this.deliver = undefined;
    for (const id of this.subscriptionIds.splice(0)) {
      try {
        this.router.unsubscribe(id);
      } catch {
        // Already gone (the router is closing).
      }
    }
  }

  private sinkFor(kind: MediaKind): MediaSink {
    return {
      type: 'merge-input',
      onLinkup: (_streamId, feedback) => this.feedbackTo.set(kind, feedback),
      onCutoff: () => {
        this.feedbackTo.delete(kind);
        log.debug({ streamId: this.streamId, kind }, 'merge input cut off');
      },
      onFrame: (frame) => {
        if (frame.kind === kind) this.deliver?.(frame);
      },
      close: () => undefined,
    };
  }
}
