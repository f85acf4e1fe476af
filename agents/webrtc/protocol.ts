/**
 * The webrtc node's RPC interface (a node of a `webrtc` agent). A transport is one peer
 * connection between one client and this node; its id equals the id of the publish/subscribe
 * that created it (OWT SDK rule). The conference schedules the node with task = transport id.
 *
 * Methods:
 * - createTransport(transportId, spec: TransportSpec): void     idempotent
 * - destroyTransport(transportId): void
 * - publish(transportId, sessionId, tracks: PublishTrack[]): void
 *       the client's next offer carries these mids; RTP becomes MediaFrames of stream
 *       `sessionId` (audio and video) in this node's MediaRouter
 * - unpublish(transportId, sessionId): void
 * - subscribe(transportId, sessionId, tracks: SubscribeTrack[]): void
 *       the client's next offer carries recvonly m-lines with these mids; frames of the linked
 *       streams become RTP (see linkup of the media primitives)
 * - unsubscribe(transportId, sessionId): void
 * - onTransportSignaling(transportId, signaling): void   {type:'offer', sdp} | {type:'candidate', candidate} | {type:'removed-candidates', ...}
 * - mute(sessionId, kind: 'audio'|'video'|'av', muted: boolean): void
 * - setLayer(sessionId, spec: {rid?: string, resolution?: {width, height}, bitrate?: number}): void
 * - getStats(transportId): TransportStats
 * plus the media primitives of common/media (publish/subscribe/linkup/cutoff for internal links,
 * getLinkAddress), under their own method names.
 *
 * The node reports to `spec.controller` (a conference node id) with
 * onTransportProgress(room, transportId, TransportProgress) and
 * onSessionProgress(room, sessionId, SessionProgress) — conference/protocol.ts.
 */

export interface TransportSpec {
  room: string;
  owner: string;
  /** RPC id of the conference node to report progress to. */
  controller: string;
}

export interface PublishTrack {
  type: 'audio' | 'video';
  mid: string;
  source?: string;
}

export interface SubscribeTrack {
  type: 'audio' | 'video';
  mid: string;
  /** The stream (publication id or mixed stream id) in this node's MediaRouter to send. */
  from: string;
  /** Simulcast: the rid layer wanted, when the publication has layers. */
  rid?: string;
  /**
   * The source's codec ('vp8', 'h264', 'opus'…) when the conference knows it (StreamInfo
   * format): the answer then offers only that codec. Local publications are looked up.
   */
  codec?: string;
  parameters?: {
    resolution?: { width: number; height: number };
    framerate?: number;
    bitrate?: string | number;
    keyFrameInterval?: number;
  };
}

export interface TransportStats {
  transportId: string;
  state: string;
  sessions: {
    sessionId: string;
    direction: 'in' | 'out';
    kind: 'audio' | 'video';
    bitrateBps: number;
    packets: number;
    packetsLost: number;
    rttMs?: number;
    frames: number;
  }[];
}

/**
 * Names under which a webrtc (or any media) node serves the media primitives of
 * common/media/media-primitive-handlers.ts (added by the conference engineer; the conference calls
 * these names), so that they do not clash with the webrtc
 * methods `publish`/`subscribe` (transport sessions). Arguments as in docs/internal-links.md.
 */
export const MEDIA_PRIMITIVE_METHODS = {
  publish: 'publishInternal',
  unpublish: 'unpublishInternal',
  subscribe: 'subscribeInternal',
  unsubscribe: 'unsubscribeInternal',
  linkup: 'linkup',
  cutoff: 'cutoff',
  getLinkAddress: 'getLinkAddress',
} as const;

/**
 * What a publication carries, reported as `media` of onSessionProgress ('ready' and
 * 'media-update'). One entry per m-line; simulcast video lists its rids (in offer order; the
 * first rid is what stream `sessionId` carries, each rid is also stream `sessionId:rid`).
 */
export interface PublicationMedia {
  tracks: {
    type: 'audio' | 'video';
    mid: string;
    source?: string;
    format: { codec: string; sampleRate?: number; channelNum?: number; profile?: string };
    rids?: string[];
    /** Per layer (or '' without simulcast) once a keyframe showed it. */
    resolutions?: Record<string, { width: number; height: number }>;
  }[];
}

/** Router stream id of one simulcast layer of a publication. */
export function layerStreamId(sessionId: string, rid: string): string {
  return `${sessionId}:${rid}`;
}
