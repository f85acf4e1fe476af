import { resolve } from 'node:path';
import type { RpcBus } from '../../common/rpc/rpc-bus.js';
import { MediaAccessNode } from '../streaming/media-access-node.js';
import { outProgress } from '../streaming/streaming-node.js';
import type { RecordingNodeConfig } from './recording-config.js';
import { createRecordingSink } from './recording-sink.js';

/** Monitoring topic of recording status events (docs/recording.md). */
export const RECORDING_STATUS_TOPIC = 'recording.status';

/** The recording node: sinks of type `recording`. */
export async function startRecordingNode(
  nodeId: string,
  bus: RpcBus,
  config: RecordingNodeConfig,
): Promise<MediaAccessNode> {
  const dir = resolve(config.recording.dir);
  const readied = new Set<string>();
  return await MediaAccessNode.start({
    nodeId,
    bus,
    secret: config.cluster.secret,
    linkHost: config.recording.linkHost,
    linkPort: config.recording.linkPort,
    topic: RECORDING_STATUS_TOPIC,
    sinks: {
      recording: (subscriptionId, spec, reporter) =>
        createRecordingSink(
          subscriptionId,
          spec,
          { dir, minFreeBytes: config.recording.minFreeBytes },
          (id, status) => {
            const first = status.status === 'active' && !readied.has(id);
            if (first) readied.add(id);
            if (status.status === 'stopped') readied.delete(id);
            reporter.report(id, 'recording', status, outProgress(status, first));
          },
        ),
    },
  });
}
