/**
 * The conference node's RPC interface: one room controller per room, on a node of a
 * `conference` agent (task = room id). Every method takes the room id first. Portals call the
 * client-facing methods; the management API the management ones (docs/management-api.md);
 * webrtc nodes report progress with the `on…` methods.
 *
 * Shapes of `options`, StreamInfo, events: the OWT client–portal protocol 1.2
 * (/work/shared/notes/owt-compat.md), which the portal relays unchanged.
 */

export interface ParticipantJoin {
  /** Participant id, chosen by the portal (the socket session). */
  id: string;
  user: string;
  role: string;
  /** RPC id of the portal serving this participant: events go there (PORTAL_METHODS.notify). */
  portal: string;
  /** From the token: passed to scheduling of the participant's webrtc node. */
  preference: { isp?: string; region?: string };
  /** userAgent as sent at login, for logs and stats. */
  origin?: unknown;
}

export interface Permission {
  publish: { audio: boolean; video: boolean } | false;
  subscribe: { audio: boolean; video: boolean } | false;
}

/** The login answer's `room` part plus the participant's permission. */
export interface JoinResult {
  permission: Permission;
  room: {
    id: string;
    views: string[];
    participants: { id: string; user: string; role: string }[];
    /** StreamInfo[] (owt-compat.md) */
    streams: unknown[];
  };
}

/**
 * Client-facing methods (portal → conference node):
 * - join(roomId, participant: ParticipantJoin): JoinResult
 * - leave(roomId, participantId): void            (logout, socket gone for good, drop)
 * - text(roomId, participantId, to: string, message: string): void
 * - publish(roomId, participantId, sessionId, options): {id: sessionId, transportId}
 * - unpublish(roomId, participantId, sessionId): void
 * - subscribe(roomId, participantId, sessionId, options): {id: sessionId, transportId}
 * - unsubscribe(roomId, participantId, sessionId): void
 * - streamControl(roomId, participantId, streamId, command: {operation, data}): unknown
 * - subscriptionControl(roomId, participantId, subscriptionId, command: {operation, data}): unknown
 * - onTransportSignaling(roomId, participantId, transportId, signaling): void   (soac)
 *
 * Media-side callbacks (webrtc node → conference node):
 * - onTransportProgress(roomId, transportId, progress: TransportProgress): void
 * - onSessionProgress(roomId, sessionId, progress: SessionProgress): void
 *
 * Management methods: see docs/management-api.md ("Conference node RPC contract").
 */
export const CONFERENCE_CLIENT_METHODS = [
  'join',
  'leave',
  'text',
  'publish',
  'unpublish',
  'subscribe',
  'unsubscribe',
  'streamControl',
  'subscriptionControl',
  'onTransportSignaling',
] as const;

/** A transport's state, relayed to the client as `progress {id: transportId, status, data}`. */
export type TransportProgress =
  | { type: 'answer'; sdp: string }
  | { type: 'ready' }
  | { type: 'failed'; reason: string };

/** A publication's or subscription's state, relayed as `progress {id: transportId, sessionId, ...}`. */
export type SessionProgress =
  | {
      type: 'ready';
      /**
       * Publications: what the node saw in the offer (codecs, rids, resolution…): PublicationMedia
       * of agents/webrtc/protocol.ts, read leniently by conference/stream-info.ts.
       */
      media?: unknown;
    }
  | { type: 'failed'; reason: string }
  /** Publications: the track's format became known or changed (StreamInfo update). */
  | { type: 'media-update'; media: unknown }
  /**
   * Publications whose source can pause on its own (a streaming-in reconnecting): its tracks'
   * status, relayed as `stream update` audio.status/video.status. Media nodes may omit it.
   */
  | { type: 'media-status'; status: 'active' | 'inactive' };

/**
 * How long deleting a streaming-out or recording may take: the node lets FFmpeg finish the
 * file or stream first. Callers of the delete methods (and `destroy`) allow a little more.
 */
export const OUTPUT_FINISH_TIMEOUT_MS = 20_000;
