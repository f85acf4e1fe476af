import { NotFoundError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { MediaSink, MediaSource } from './media-endpoint.js';
import { KEYFRAME_REQUEST, type MediaFeedback } from './media-feedback.js';
import type { MediaFrame } from './media-frame.js';
import { DuplicateIdError } from './media-router-errors.js';

const log = createLogger('media-router');

interface Publication {
  source: MediaSource;
  subscribers: Set<string>;
  frames: number;
}

interface Subscription {
  sink: MediaSink;
  streamId: string | undefined;
  frames: number;
}

export interface StreamInfo {
  streamId: string;
  sourceType: string;
  subscriptions: string[];
  frames: number;
}

export interface SubscriptionInfo {
  subscriptionId: string;
  sinkType: string;
  streamId: string | undefined;
  frames: number;
}

/**
 * The media primitives of one node: published sources, subscribed sinks, and the links
 * between them. Frames of a source reach every linked sink; a sink's feedback reaches its
 * source. One sink failing never stops the others.
 */
export class MediaRouter {
  private readonly publications = new Map<string, Publication>();
  private readonly subscriptions = new Map<string, Subscription>();

  publish(streamId: string, source: MediaSource): void {
    if (this.publications.has(streamId))
      throw new DuplicateIdError(`stream ${streamId} is already published`);
    const publication: Publication = { source, subscribers: new Set(), frames: 0 };
    this.publications.set(streamId, publication);
    try {
      source.start((frame) => {
        if (this.publications.get(streamId) !== publication) return;
        publication.frames++;
        this.deliver(publication, frame);
      });
    } catch (err) {
      this.publications.delete(streamId);
      throw err;
    }
    log.debug({ streamId, type: source.type }, 'published');
  }

  unpublish(streamId: string): void {
    const publication = this.publications.get(streamId);
    if (!publication) throw new NotFoundError(`stream ${streamId} is not published`);
    for (const subscriptionId of publication.subscribers) this.cutoff(subscriptionId);
    this.publications.delete(streamId);
    closeQuietly(publication.source, streamId);
  }

  subscribe(subscriptionId: string, sink: MediaSink): void {
    if (this.subscriptions.has(subscriptionId)) {
      throw new DuplicateIdError(`subscription ${subscriptionId} already exists`);
    }
    this.subscriptions.set(subscriptionId, { sink, streamId: undefined, frames: 0 });
  }

  unsubscribe(subscriptionId: string): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) throw new NotFoundError(`subscription ${subscriptionId} does not exist`);
    if (subscription.streamId !== undefined) this.cutoff(subscriptionId);
    this.subscriptions.delete(subscriptionId);
    closeQuietly(subscription.sink, subscriptionId);
  }

  /** Connects a sink to a stream (moving it if it was linked elsewhere) and asks for a keyframe. */
  linkup(subscriptionId: string, streamId: string): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) throw new NotFoundError(`subscription ${subscriptionId} does not exist`);
    const publication = this.publications.get(streamId);
    if (!publication) throw new NotFoundError(`stream ${streamId} is not published`);
    if (subscription.streamId === streamId) return;
    if (subscription.streamId !== undefined) this.cutoff(subscriptionId);
    // The sink may refuse (e.g. its link stream id is taken): then nothing is linked.
    subscription.sink.onLinkup(streamId, (feedback) => {
      // Feedback after a cutoff or relink belongs to nobody.
      if (subscription.streamId !== streamId || this.publications.get(streamId) !== publication) return;
      this.forwardFeedback(publication, streamId, feedback);
    });
    subscription.streamId = streamId;
    publication.subscribers.add(subscriptionId);
    // A new viewer cannot decode until the next keyframe.
    this.forwardFeedback(publication, streamId, KEYFRAME_REQUEST);
  }

  cutoff(subscriptionId: string): void {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription) throw new NotFoundError(`subscription ${subscriptionId} does not exist`);
    const streamId = subscription.streamId;
    if (streamId === undefined) return;
    subscription.streamId = undefined;
    this.publications.get(streamId)?.subscribers.delete(subscriptionId);
    try {
      subscription.sink.onCutoff();
    } catch (err) {
      log.warn({ subscriptionId, err: (err as Error).message }, 'sink failed on cutoff');
    }
  }

  hasStream(streamId: string): boolean {
    return this.publications.has(streamId);
  }

  streams(): StreamInfo[] {
    return [...this.publications].map(([streamId, p]) => ({
      streamId,
      sourceType: p.source.type,
      subscriptions: [...p.subscribers],
      frames: p.frames,
    }));
  }

  subscriptionList(): SubscriptionInfo[] {
    return [...this.subscriptions].map(([subscriptionId, s]) => ({
      subscriptionId,
      sinkType: s.sink.type,
      streamId: s.streamId,
      frames: s.frames,
    }));
  }

  /** Unpublishes and unsubscribes everything. */
  close(): void {
    for (const subscriptionId of [...this.subscriptions.keys()]) this.unsubscribe(subscriptionId);
    for (const streamId of [...this.publications.keys()]) this.unpublish(streamId);
  }

  private deliver(publication: Publication, frame: MediaFrame): void {
    for (const subscriptionId of publication.subscribers) {
      const subscription = this.subscriptions.get(subscriptionId);
      if (!subscription) continue;
      subscription.frames++;
      try {
        subscription.sink.onFrame(frame);
      } catch (err) {
        log.warn({ subscriptionId, err: (err as Error).message }, 'sink failed on a frame');
      }
    }
  }

  private forwardFeedback(publication: Publication, streamId: string, feedback: MediaFeedback): void {
    try {
      publication.source.onFeedback(feedback);
    } catch (err) {
      log.warn({ streamId, err: (err as Error).message }, 'source failed on feedback');
    }
  }
}

function closeQuietly(endpoint: { close(): void }, id: string): void {
  try {
    endpoint.close();
  } catch (err) {
    log.warn({ id, err: (err as Error).message }, 'endpoint failed to close');
  }
}
