import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import type { LinkHub } from '../links/link-hub.js';
import { LinkSink } from '../links/link-sink.js';
import { LinkSource } from '../links/link-source.js';
import type { MediaSink, MediaSource } from './media-endpoint.js';
import {
  endpointSpecSchema,
  internalSinkSchema,
  internalSourceSchema,
  mediaIdSchema,
  mergeSourceSchema,
} from './media-primitive-schemas.js';
import type { MediaRouter } from './media-router.js';
import { MergeSource } from './merge-source.js';

/** Builds a source or sink from a spec of its type; validates the spec itself. */
export type SourceFactory = (streamId: string, spec: unknown) => MediaSource;
export type SinkFactory = (subscriptionId: string, spec: unknown) => MediaSink;

export interface MediaPrimitiveOptions {
  /** Extra source types (webrtc, generator…); 'internal' is built in. */
  sources?: Record<string, SourceFactory>;
  sinks?: Record<string, SinkFactory>;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
    throw new ValidationError(`invalid ${what}: ${details.join('; ')}`, { data: details });
  }
  return result.data;
}

/**
 * The media primitives as RPC handlers (serve them under the node's id):
 * publish, unpublish, subscribe, unsubscribe, linkup, cutoff, plus getLinkAddress and
 * getMediaStats. Built-in source types: 'internal' (over a link), 'merge' (audio of one local
 * stream + video of another); sink type: 'internal'. Every argument is validated; bad ones raise ValidationError.
 */
export function mediaPrimitiveHandlers(
  router: MediaRouter,
  hub: LinkHub,
  options: MediaPrimitiveOptions = {},
) {
  const sources: Record<string, SourceFactory> = {
    internal: (streamId, spec) => {
      const s = parse(internalSourceSchema, spec, 'source');
      return new LinkSource(hub, s.fromNode, s.remoteStreamId ?? streamId);
    },
    merge: (streamId, spec) => {
      const s = parse(mergeSourceSchema, spec, 'source');
      for (const input of [s.audio, s.video]) {
        if (input !== undefined && !router.hasStream(input))
          throw new NotFoundError(`merge input ${input} is not published on this node`);
      }
      return new MergeSource(router, streamId, { audio: s.audio, video: s.video });
    },
    ...options.sources,
  };
  const sinks: Record<string, SinkFactory> = {
    internal: (_subscriptionId, spec) => {
      const s = parse(internalSinkSchema, spec, 'sink');
      return new LinkSink(hub, s.toNode, s.address, s.remoteStreamId, s.kinds);
    },
    ...options.sinks,
  };

  return {
    publish(streamId: unknown, source: unknown) {
      const id = parse(mediaIdSchema, streamId, 'streamId');
      const { type } = parse(endpointSpecSchema, source, 'source');
      const factory = sources[type];
      if (!factory) throw new ValidationError(`unknown source type ${type}`);
      router.publish(id, factory(id, source));
      return { streamId: id, type };
    },
    unpublish(streamId: unknown) {
      router.unpublish(parse(mediaIdSchema, streamId, 'streamId'));
      return { ok: true };
    },
    subscribe(subscriptionId: unknown, sink: unknown) {
      const id = parse(mediaIdSchema, subscriptionId, 'subscriptionId');
      const { type } = parse(endpointSpecSchema, sink, 'sink');
      const factory = sinks[type];
      if (!factory) throw new ValidationError(`unknown sink type ${type}`);
      router.subscribe(id, factory(id, sink));
      return { subscriptionId: id, type };
    },
    unsubscribe(subscriptionId: unknown) {
      router.unsubscribe(parse(mediaIdSchema, subscriptionId, 'subscriptionId'));
      return { ok: true };
    },
    linkup(subscriptionId: unknown, streamId: unknown) {
      router.linkup(
        parse(mediaIdSchema, subscriptionId, 'subscriptionId'),
        parse(mediaIdSchema, streamId, 'streamId'),
      );
      return { ok: true };
    },
    cutoff(subscriptionId: unknown) {
      router.cutoff(parse(mediaIdSchema, subscriptionId, 'subscriptionId'));
      return { ok: true };
    },
    /** Where other nodes dial this node's links: { nodeId, host, port } or null. */
    getLinkAddress() {
      const address = hub.address;
      return address ? { nodeId: hub.nodeId, ...address } : null;
    },
    getMediaStats() {
      return { streams: router.streams(), subscriptions: router.subscriptionList(), links: hub.linkStats() };
    },
  };
}

export type MediaPrimitiveHandlers = ReturnType<typeof mediaPrimitiveHandlers>;
