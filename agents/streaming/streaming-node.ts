import type { RpcBus } from '../../common/rpc/rpc-bus.js';
import type { SessionProgress } from '../../conference/protocol.js';
import { MediaAccessNode } from './media-access-node.js';
import type { OutputStatus } from './output-status.js';
import type { StreamingNodeConfig } from './streaming-config.js';
import { createStreamingInSource, type StreamingInStatus } from './streaming-in-source.js';
import { createStreamingOutSink } from './streaming-out-sink.js';

/** Monitoring topic of streaming-in/out status events (docs/streaming.md). */
export const STREAMING_STATUS_TOPIC = 'streaming.status';

/** streaming-in status → what the conference hears (ready once, then media updates). */
export function inProgress(status: StreamingInStatus, first: boolean): SessionProgress | undefined {
  if (status.status === 'connected')
    return first ? { type: 'ready', media: status.media } : { type: 'media-update', media: status.media };
  // Source lost, reconnecting: the room sees the stream inactive until the next `connected`.
  if (status.status === 'reconnecting') return { type: 'media-status', status: 'inactive' };
  if (status.status === 'failed') return { type: 'failed', reason: status.reason };
  return undefined;
}

/** Output status → what the conference hears: ready once active, failed when it stops on its own. */
export function outProgress(status: OutputStatus, first: boolean): SessionProgress | undefined {
  if (status.status === 'active' && first) return { type: 'ready' };
  if (status.status === 'stopped' && status.reason !== 'closed') {
    return { type: 'failed', reason: status.detail ? `${status.reason}: ${status.detail}` : status.reason };
  }
  return undefined;
}

/** The streaming node: sources of type `streaming-in`, sinks of type `streaming-out`. */
export async function startStreamingNode(
  nodeId: string,
  bus: RpcBus,
  config: StreamingNodeConfig,
): Promise<MediaAccessNode> {
  const readied = new Set<string>();
  return await MediaAccessNode.start({
    nodeId,
    bus,
    secret: config.cluster.secret,
    linkHost: config.streaming.linkHost,
    linkPort: config.streaming.linkPort,
    topic: STREAMING_STATUS_TOPIC,
    sources: {
      'streaming-in': (streamId, spec, reporter) =>
        createStreamingInSource(streamId, spec, (id, status) => {
          const first = status.status === 'connected' && !readied.has(id);
          if (first) readied.add(id);
          reporter.report(id, 'streaming-in', status, inProgress(status, first));
        }),
    },
    sinks: {
      'streaming-out': (subscriptionId, spec, reporter) =>
        createStreamingOutSink(subscriptionId, spec, (id, status) => {
          const first = status.status === 'active' && !readied.has(id);
          if (first) readied.add(id);
          if (status.status === 'stopped') readied.delete(id);
          reporter.report(id, 'streaming-out', status, outProgress(status, first));
        }),
    },
  });
}
