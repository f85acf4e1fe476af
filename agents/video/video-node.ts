import type { RpcBus, RpcHandlers } from '../../common/rpc/rpc-bus.js';
import { MediaAccessNode } from '../streaming/media-access-node.js';
import type { VideoNodeConfig } from './video-config.js';
import { VideoService } from './video-service.js';

/** Monitoring topic of video node status events (none yet; the media node needs one). */
export const VIDEO_STATUS_TOPIC = 'video.status';

export interface VideoNode {
  readonly service: VideoService;
  handlers(): RpcHandlers;
  close(): Promise<void>;
}

/**
 * A video node: a media node (router, link hub and server, media primitives with `internal`
 * sources and sinks) plus the mixers and transcoders of agents/video/protocol.ts on its router.
 */
export async function startVideoNode(
  nodeId: string,
  bus: RpcBus,
  config: VideoNodeConfig,
): Promise<VideoNode> {
  const media = await MediaAccessNode.start({
    nodeId,
    bus,
    secret: config.cluster.secret,
    linkHost: config.video.linkHost,
    linkPort: config.video.linkPort,
    topic: VIDEO_STATUS_TOPIC,
  });
  const service = new VideoService(media.router);
  return {
    service,
    handlers: () => ({ ...media.handlers(), ...service.handlers() }),
    close: async () => {
      // Codecs first (they hold the router's streams), then the router and links.
      await service.close();
      await media.close();
    },
  };
}
