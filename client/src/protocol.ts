/**
 * Wire shapes of the OWT client–portal protocol 1.2 as this SDK sends and reads them
 * (see docs/client.md and the shared OWT compatibility notes).
 */
export const PROTOCOL_VERSION = '1.2';
/** The portal only issues reconnection tickets to known SDK types; we speak as the JS SDK 5.1 does. */
export const SDK_USER_AGENT = { sdk: { type: 'JavaScript', version: '5.1' } } as const;

export type TrackKind = 'audio' | 'video';
export type AudioSource = 'mic' | 'screen-cast' | 'raw-file' | 'encoded-file';
export type VideoSource = 'camera' | 'screen-cast' | 'raw-file' | 'encoded-file';
export type MuteTarget = 'audio' | 'video' | 'av';

export interface Resolution {
  width: number;
  height: number;
}

export interface PermissionInfo {
  publish: { audio: boolean; video: boolean } | false;
  subscribe: { audio: boolean; video: boolean } | false;
}

export interface ParticipantInfo {
  id: string;
  user: string;
  role: string;
}

export interface TrackFormat {
  codec: string;
  sampleRate?: number;
  channelNum?: number;
  profile?: string;
}

export interface StreamTrackInfo {
  id?: string;
  type: TrackKind;
  source?: string;
  format?: TrackFormat;
  parameters?: {
    resolution?: Resolution;
    framerate?: number;
    bitrate?: number | string;
    keyFrameInterval?: number;
  };
  status?: 'active' | 'inactive';
  mid?: string;
  rid?: string;
  optional?: {
    format?: TrackFormat[];
    parameters?: {
      resolution?: Resolution[];
      framerate?: number[];
      bitrate?: string[];
      keyFrameInterval?: number[];
    };
  };
}

export interface StreamInfo {
  id: string;
  type: 'forward' | 'mixed';
  media: { tracks: StreamTrackInfo[] };
  data?: unknown;
  info: {
    owner?: string;
    type?: string;
    inViews?: string[];
    attributes?: Record<string, unknown>;
    label?: string;
    activeInput?: string;
    layout?: unknown[];
  };
}

export interface LoginResult {
  id: string;
  user: string;
  role: string;
  permission?: PermissionInfo;
  room: {
    id: string;
    views?: string[];
    participants: ParticipantInfo[];
    streams: StreamInfo[];
  };
  reconnectionTicket?: string;
  webTransportToken?: string;
}

/** 1.2 answers relogin with the new ticket and the events missed while away; 1.0/1.1 with the ticket only. */
export interface ReloginResult {
  ticket: string;
  messages: { event: string; data: unknown; seq?: number }[];
}

export interface SessionAck {
  id: string;
  transportId: string;
}

export interface ProgressMessage {
  id: string;
  status: 'soac' | 'ready' | 'error';
  sessionId?: string;
  data?: unknown;
}

export type StreamMessage =
  | { id: string; status: 'add'; data: StreamInfo }
  | { id: string; status: 'remove' }
  | { id: string; status: 'update'; data: { field: string; value: unknown } };

export type ParticipantMessage =
  | { action: 'join'; data: ParticipantInfo }
  | { action: 'leave'; data: string };

export interface TextMessage {
  from: string;
  to: 'all' | 'me' | string;
  message: string;
}

export interface PublishTrackRequest {
  type: TrackKind;
  mid: string;
  source: AudioSource | VideoSource;
}

export interface SubscribeTrackRequest {
  type: TrackKind;
  mid: string;
  from: string;
  parameters?: {
    resolution?: Resolution;
    framerate?: number;
    bitrate?: string;
    keyFrameInterval?: number;
  };
}

export interface CandidateSignal {
  type: 'candidate';
  candidate: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null };
}

export interface OfferSignal {
  type: 'offer';
  sdp: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
