/** MediaSpread browser SDK: the public surface (ESM, and the `MediaSpread` global in the IIFE build). */

export type {
  ConferenceClientOptions,
  ConferenceEvents,
  ConferenceInfo,
  LocalParticipantInfo,
} from './conference-client.js';
export { ConferenceClient } from './conference-client.js';
export {
  ConferenceError,
  ConferenceTimeoutError,
  DisconnectedError,
  InvalidTokenError,
  RequestRejectedError,
  SessionFailedError,
  TransportError,
} from './errors.js';
export type { PublishOptions, SimulcastLayer, SubscribeOptions, VideoSubscribeOptions } from './options.js';
export { Participant } from './participant.js';
export type { PeerConnectionFactory } from './peer-transport.js';
export type { StreamInfo, StreamTrackInfo } from './protocol.js';
export { PROTOCOL_VERSION } from './protocol.js';
export { Publication } from './publication.js';
export type { SimulcastLayerInfo } from './remote-stream.js';
export { RemoteStream } from './remote-stream.js';
export { candidateLine, reorderCodecs, sdpMids } from './sdp.js';
export type { SocketFactory } from './signaling.js';
export { Subscription } from './subscription.js';
export { decodeTicket, decodeToken, portalUrl } from './token.js';
export const VERSION = '0.1.0';
