import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LinkHub } from '../../common/links/link-hub.js';
import { LinkServer } from '../../common/links/link-server.js';
import { createLogger } from '../../common/logger.js';
import type { MediaSink, MediaSource } from '../../common/media/media-endpoint.js';
import { mediaPrimitiveHandlers } from '../../common/media/media-primitive-handlers.js';
import { MediaRouter } from '../../common/media/media-router.js';
import type { RpcBus, RpcHandlers } from '../../common/rpc/rpc-bus.js';
import type { SessionProgress } from '../../conference/protocol.js';
import { MEDIA_PRIMITIVE_METHODS } from '../webrtc/protocol.js';

const log = createLogger('media-access-node');

/** Where a status event goes besides the monitoring topic: the spec's controller, if any. */
const reportToSchema = z
  .object({ controller: z.string().min(1).optional(), room: z.string().min(1).optional() })
  .loose();

/** One status event on the monitoring topic (`streaming.status` / `recording.status`). */
export interface MediaStatusEvent {
  nodeId: string;
  /** Stream id (sources) or subscription id (sinks). */
  id: string;
  type: string;
  status: string;
  [key: string]: unknown;
}

export interface StatusReporter {
  /** Sends `status` to the topic and, mapped to SessionProgress, to the spec's controller. */
  report(
    id: string,
    type: string,
    status: { status: string } & Record<string, unknown>,
    progress?: SessionProgress,
  ): void;
}

/** Something that needs an orderly asynchronous stop (ffmpeg finishing its output). */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface MediaAccessNodeOptions {
  nodeId: string;
  bus: RpcBus;
  secret: string;
  linkHost: string;
  linkPort: number;
  topic: string;
  sources?: Record<string, (streamId: string, spec: unknown, reporter: StatusReporter) => MediaSource>;
  sinks?: Record<
    string,
    (subscriptionId: string, spec: unknown, reporter: StatusReporter) => MediaSink & Partial<Stoppable>
  >;
}

/**
 * A media node whose endpoints are ffmpeg-backed (streaming, recording): a MediaRouter, a
 * LinkHub with its LinkServer for frames from other nodes, the media primitive RPC methods
 * with this node's source/sink types, and status events on a monitoring topic (and to a
 * controller named in the spec: `{controller, room}` → `onSessionProgress(room, id, progress)`).
 */
export class MediaAccessNode {
  readonly router = new MediaRouter();
  readonly hub: LinkHub;
  private readonly targets = new Map<string, { controller: string; room: string }>();
  private readonly stoppables = new Map<string, Stoppable>();
  private closed = false;

  private constructor(
    private readonly options: MediaAccessNodeOptions,
    private readonly linkServer: LinkServer,
  ) {
    this.hub = new LinkHub({ nodeId: options.nodeId, secret: options.secret, server: linkServer });
  }

  static async start(options: MediaAccessNodeOptions): Promise<MediaAccessNode> {
    let secret = options.secret;
    if (!secret) {
      log.warn('cluster.secret is not set: internal links of this node only work with itself');
      secret = randomBytes(32).toString('hex');
    }
    const server = await LinkServer.listen({
      nodeId: options.nodeId,
      secret,
      host: options.linkHost,
      port: options.linkPort,
    });
    return new MediaAccessNode({ ...options, secret }, server);
  }

  private readonly reporter: StatusReporter = {
    report: (id, type, status, progress) => {
      const event: MediaStatusEvent = { ...status, nodeId: this.options.nodeId, id, type };
      this.options.bus.publish(this.options.topic, event);
      const target = this.targets.get(id);
      if (target && progress)
        this.options.bus.cast(target.controller, 'onSessionProgress', [target.room, id, progress]);
    },
  };

  handlers(): RpcHandlers {
    const sources: Record<string, (id: string, spec: unknown) => MediaSource> = {};
    for (const [type, make] of Object.entries(this.options.sources ?? {})) {
      sources[type] = (id, spec) => {
        this.remember(id, spec);
        return make(id, spec, this.reporter);
      };
    }
    const sinks: Record<string, (id: string, spec: unknown) => MediaSink> = {};
    for (const [type, make] of Object.entries(this.options.sinks ?? {})) {
      sinks[type] = (id, spec) => {
        this.remember(id, spec);
        const sink = make(id, spec, this.reporter);
        if (sink.stop) this.stoppables.set(id, sink as Stoppable);
        return sink;
      };
    }
    const primitives = mediaPrimitiveHandlers(this.router, this.hub, { sources, sinks });
    const handlers = {
      ...primitives,
      /** Like unsubscribe, but resolves once ffmpeg has finished the output (files complete). */
      unsubscribe: async (subscriptionId: unknown) => {
        const stoppable =
          typeof subscriptionId === 'string' ? this.stoppables.get(subscriptionId) : undefined;
        const result = primitives.unsubscribe(subscriptionId);
        if (stoppable) {
          this.stoppables.delete(subscriptionId as string);
          await stoppable.stop();
        }
        this.targets.delete(subscriptionId as string);
        return result;
      },
      unpublish: (streamId: unknown) => {
        const result = primitives.unpublish(streamId);
        this.targets.delete(streamId as string);
        return result;
      },
    };
    // The conference calls every media node by the names of MEDIA_PRIMITIVE_METHODS (webrtc
    // nodes need them apart from their own publish/subscribe): serve both.
    return {
      ...handlers,
      [MEDIA_PRIMITIVE_METHODS.publish]: handlers.publish,
      [MEDIA_PRIMITIVE_METHODS.unpublish]: handlers.unpublish,
      [MEDIA_PRIMITIVE_METHODS.subscribe]: handlers.subscribe,
      [MEDIA_PRIMITIVE_METHODS.unsubscribe]: handlers.unsubscribe,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Outputs first, so recordings are finished before the process goes.
    await Promise.all([...this.stoppables.values()].map((s) => s.stop().catch(() => {})));
    this.router.close();
    this.hub.close();
    await this.linkServer.close();
  }

  private remember(id: string, spec: unknown): void {
    const parsed = reportToSchema.safeParse(spec);
    if (parsed.success && parsed.data.controller && parsed.data.room) {
      this.targets.set(id, { controller: parsed.data.controller, room: parsed.data.room });
    }
  }
}
