import type { MediaFeedback } from '../../common/media/media-feedback.js';
import { KEYFRAME_REQUEST } from '../../common/media/media-feedback.js';

/** How often an input is asked for a keyframe at most (a damaged stream would ask every frame). */
export const KEYFRAME_REQUEST_MIN_INTERVAL_MS = 500;

/**
 * Asks a stream's producer for keyframes through a sink's feedback function, at most once per
 * interval unless forced (a new consumer must not wait for the rate limit).
 */
export class KeyframeRequester {
  private feedback: ((feedback: MediaFeedback) => void) | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  requests = 0;

  constructor(
    private readonly minIntervalMs = KEYFRAME_REQUEST_MIN_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The feedback path of the stream currently linked (undefined after a cutoff). */
  attach(feedback: ((feedback: MediaFeedback) => void) | undefined): void {
    this.feedback = feedback;
  }

  /** Returns whether a request went out. */
  request(options: { force?: boolean } = {}): boolean {
    if (!this.feedback) return false;
    const now = this.now();
    if (!options.force && now - this.lastAt < this.minIntervalMs) return false;
    this.lastAt = now;
    this.requests++;
    this.feedback(KEYFRAME_REQUEST);
    return true;
  }
}
