import type { Locality } from './media-client.js';
import type { MediaKind } from './permissions.js';
import type { Permission } from './protocol.js';
import type { ForwardStreamInfo, MediaReport, RequestedTrack } from './stream-info.js';

/** The records a room controller keeps; plain data, the controller owns every transition. */

export type MediaStatus = 'active' | 'inactive';

export interface Participant {
  id: string;
  user: string;
  role: string;
  portal: string;
  preference: { isp?: string; region?: string };
  origin?: unknown;
  permission: Permission;
}

/** One peer connection of a client on a webrtc node; id = the session id that created it. */
export interface Transport {
  id: string;
  owner: string;
  /** Known once the node is picked (before createTransport answers). */
  loc: Locality | undefined;
  /** Resolves when the node created the transport. */
  created: Promise<Locality>;
  /** The node reported the transport up (ICE + DTLS). */
  ready: boolean;
  closed: boolean;
  /** Publications and subscriptions on it. */
  sessions: Set<string>;
}

export interface Publication {
  id: string;
  owner: string;
  transportId: string;
  requested: RequestedTrack[];
  attributes: unknown;
  /** The node said the session is up; it goes live once the transport is ready too. */
  sessionReady: boolean;
  live: boolean;
  report: MediaReport | undefined;
  status: { audio: MediaStatus; video: MediaStatus };
  info: ForwardStreamInfo | undefined;
  /** A streaming-in: the stream comes from a streaming node (no transport, owner 'admin'). */
  external?: { loc: Locality | undefined; url: string };
}

export interface SubscribedTrack {
  type: 'audio' | 'video';
  mid: string;
  /** What the client asked for: a stream id or a (simulcast) track id. */
  from: string;
  /** The publication feeding it. */
  streamId: string;
  rid?: string;
  parameters?: Record<string, unknown>;
  status: MediaStatus;
  /** A mixed view's or a transcoder's output, read instead of the publication's own stream. */
  output?: { routerStream: string; nodeId: string; codec: string };
}

export interface Subscription {
  id: string;
  owner: string;
  transportId: string;
  tracks: SubscribedTrack[];
  sessionReady: boolean;
  /** progress 'ready' sent to the client. */
  announced: boolean;
  /** Keys of the internal links this subscription uses. */
  links: Set<string>;
  /**
   * Audio and video from two router streams (a mixed view, a transcoded video): one `merge`
   * stream on the subscriber's node joins them (common/media/merge-source.ts).
   */
  merge?: { nodeId: string; streamId: string };
  /**
   * The conference moved the subscription to other router streams after it was set up (a
   * subscription update): from then on it relinks it itself instead of asking the node for a
   * layer, whose idea of the source is the one it was set up with.
   */
  rerouted?: boolean;
}

/** An internal link carrying one stream from its publisher's node to a subscriber's node. */
export interface StreamLink {
  key: string;
  /** The router stream carried: a publication id, or one simulcast layer of it (`id:rid`). */
  streamId: string;
  publicationId: string;
  srcNode: string;
  destNode: string;
  /** The link subscription's id on the source node. */
  linkSubId: string;
  /** Only these kinds cross (links to mixer nodes); all when absent. */
  kinds?: MediaKind[];
  users: Set<string>;
  setup: Promise<void>;
}

export const linkKey = (streamId: string, destNode: string): string => `${streamId}|${destNode}`;
export const linkSubscriptionId = (streamId: string, destNode: string): string =>
  `link:${streamId}:${destNode}`;
