import { deferred, withTimeout } from './deferred.js';
import { ConferenceError, DisconnectedError, SessionFailedError } from './errors.js';
import type { PublishOptions, SubscribeOptions } from './options.js';
import { videoParameters } from './options.js';
import { Participant } from './participant.js';
import { type NegotiationPlan, type PeerConnectionFactory, PeerTransport } from './peer-transport.js';
import {
  type AudioSource,
  isRecord,
  type LoginResult,
  type PermissionInfo,
  PROTOCOL_VERSION,
  type ProgressMessage,
  type PublishTrackRequest,
  SDK_USER_AGENT,
  type SessionAck,
  type StreamInfo,
  type SubscribeTrackRequest,
  type TrackKind,
  type VideoSource,
} from './protocol.js';
import { Publication } from './publication.js';
import { RemoteStream } from './remote-stream.js';
import { reorderCodecs, sectionCount } from './sdp.js';
import type { SessionChannel } from './session-channel.js';
import { Signaling, type SignalingOptions } from './signaling.js';
import { Subscription } from './subscription.js';
import { decodeToken, portalUrl } from './token.js';
import { TypedEmitter } from './typed-emitter.js';

export interface ConferenceClientOptions extends SignalingOptions {
  rtcConfiguration?: RTCConfiguration;
  /** Injection point for tests and non-browser runtimes; default `new RTCPeerConnection`. */
  createPeerConnection?: PeerConnectionFactory;
  /** Default `new MediaStream(tracks)` where MediaStream exists. */
  createMediaStream?: (tracks: MediaStreamTrack[]) => MediaStream;
  /** SDP answer timeout of one negotiation (default 10 s, as the OWT SDK). */
  answerTimeoutMs?: number;
  /** How long publish/subscribe wait for `ready` after the answer (default 20 s). */
  readyTimeoutMs?: number;
}

export interface LocalParticipantInfo {
  id: string;
  user: string;
  role: string;
  permission?: PermissionInfo;
}

export interface ConferenceInfo {
  /** Room id. */
  id: string;
  self: LocalParticipantInfo;
  participants: Participant[];
  remoteStreams: RemoteStream[];
  views: string[];
}

export interface ConferenceEvents {
  [event: string]: unknown;
  participantjoined: { participant: Participant };
  participantleft: { participant: Participant };
  streamadded: { stream: RemoteStream };
  /** Also fired as `ended` on the stream itself. */
  streamremoved: { stream: RemoteStream };
  streamupdated: { stream: RemoteStream; field: string };
  messagereceived: { message: string; origin: string; to: string };
  /** The session is over: dropped, relogin refused or reconnection gave up. Not fired by leave(). */
  serverdisconnected: { reason: string };
  /** The socket dropped; the SDK reconnects and relogins on its own. */
  reconnecting: { reason: string };
  /** Relogin succeeded; `replayed` events missed meanwhile have been delivered. */
  reconnected: { replayed: number };
}

const DEFAULT_AUDIO_SOURCE: AudioSource = 'mic';
const DEFAULT_VIDEO_SOURCE: VideoSource = 'camera';

/**
 * The conference client: join a room with an OWT token, publish local streams, subscribe to
 * remote ones, exchange text. Speaks OWT client–portal protocol 1.2, so it works against
 * MediaSpread and OWT portals alike.
 */
export class ConferenceClient extends TypedEmitter<ConferenceEvents> {
  private signaling: Signaling | undefined;
  private transport: PeerTransport | undefined;
  private joined: ConferenceInfo | undefined;
  private readonly participantMap = new Map<string, Participant>();
  private readonly streamMap = new Map<string, RemoteStream>();
  private readonly publications = new Map<string, Publication>();
  private readonly subscriptions = new Map<string, Subscription>();

  constructor(private readonly options: ConferenceClientOptions = {}) {
    super();
  }

  /** The room as of join, with live participant and stream lists. */
  get info(): ConferenceInfo | undefined {
    if (!this.joined) return undefined;
    return { ...this.joined, participants: this.participants, remoteStreams: this.remoteStreams };
  }

  get participants(): Participant[] {
    return [...this.participantMap.values()];
  }

  get remoteStreams(): RemoteStream[] {
    return [...this.streamMap.values()];
  }

  /** The transport id shared by every publication and subscription (after the first one). */
  get transportId(): string | undefined {
    return this.transport?.transportId;
  }

  get reconnectionTicket(): string | undefined {
    return this.signaling?.reconnectionTicket;
  }

  async join(token: string): Promise<ConferenceInfo> {
    if (this.signaling) throw new ConferenceError('already joined (or joining); leave first');
    const decoded = decodeToken(token);
    const signaling = new Signaling(this.options);
    this.signaling = signaling;
    signaling.on('message', ({ event, data }) => this.onServerMessage(event, data));
    signaling.on('reconnecting', (e) => this.emit('reconnecting', e));
    signaling.on('reconnected', (e) => this.emit('reconnected', e));
    signaling.on('disconnected', ({ reason }) => this.onDisconnected(reason));
    let result: LoginResult;
    try {
      result = await signaling.connect(portalUrl(decoded), {
        token,
        userAgent: SDK_USER_AGENT,
        protocol: PROTOCOL_VERSION,
      });
    } catch (error) {
      this.signaling = undefined;
      throw error;
    }
    this.transport = new PeerTransport(signaling, {
      createPeerConnection: this.options.createPeerConnection,
      rtcConfiguration: this.options.rtcConfiguration,
      answerTimeoutMs: this.options.answerTimeoutMs,
    });
    for (const p of result.room.participants) this.participantMap.set(p.id, new Participant(p));
    for (const s of result.room.streams) this.streamMap.set(s.id, new RemoteStream(s));
    this.joined = {
      id: result.room.id,
      self: { id: result.id, user: result.user, role: result.role, permission: result.permission },
      participants: this.participants,
      remoteStreams: this.remoteStreams,
      views: result.room.views ?? [],
    };
    const info = this.info as ConferenceInfo;
    signaling.startDelivery();
    return info;
  }

  async publish(stream: MediaStream, options: PublishOptions = {}): Promise<Publication> {
    const { signaling, transport } = this.requireJoined();
    const audioTrack = options.audio === false ? undefined : stream.getAudioTracks()[0];
    const videoTrack = options.video === false ? undefined : stream.getVideoTracks()[0];
    if (!audioTrack && !videoTrack) throw new TypeError('publish: the stream has no track to publish');
    const audio = options.audio || {};
    const video = options.video || {};
    const tracks: {
      track: MediaStreamTrack;
      kind: TrackKind;
      source: AudioSource | VideoSource;
      codecs: string[];
    }[] = [];
    if (audioTrack) {
      tracks.push({
        track: audioTrack,
        kind: 'audio',
        source: audio.source ?? DEFAULT_AUDIO_SOURCE,
        codecs: audio.codecs ?? [],
      });
    }
    if (videoTrack) {
      tracks.push({
        track: videoTrack,
        kind: 'video',
        source: video.source ?? DEFAULT_VIDEO_SOURCE,
        codecs: video.codecs ?? [],
      });
    }
    const ready = deferred<void>();
    // A failure can arrive before anyone awaits `ready`: keep it from counting as unhandled.
    ready.promise.catch(() => undefined);
    let publication: Publication | undefined;
    const { ack, transceivers } = await transport.negotiate({
      addTransceivers: (pc) =>
        tracks.map(({ track, kind }) => {
          const encodings: RTCRtpEncodingParameters[] = [];
          if (kind === 'video' && video.simulcast && video.simulcast.length > 0) {
            for (const layer of video.simulcast) {
              const encoding: RTCRtpEncodingParameters = { rid: layer.rid, active: layer.active ?? true };
              if (layer.scaleResolutionDownBy !== undefined)
                encoding.scaleResolutionDownBy = layer.scaleResolutionDownBy;
              if (layer.maxBitrate !== undefined) encoding.maxBitrate = layer.maxBitrate;
              encodings.push(encoding);
            }
          } else {
            const maxBitrate = kind === 'audio' ? audio.maxBitrate : video.maxBitrate;
            if (maxBitrate !== undefined) encodings.push({ maxBitrate });
          }
          const init: RTCRtpTransceiverInit = { direction: 'sendonly', streams: [stream] };
          if (encodings.length > 0) init.sendEncodings = encodings;
          return pc.addTransceiver(track, init);
        }),
      ...codecPreference(tracks.map((t) => t.codecs)),
      request: async (added, transportId) => {
        const mediaTracks: PublishTrackRequest[] = added.map((t, i) => ({
          type: tracks[i].kind,
          mid: t.mid ?? '',
          source: tracks[i].source,
        }));
        const request: Record<string, unknown> = {
          media: { tracks: mediaTracks },
          transport: transportRef(transportId),
        };
        if (options.attributes) request.attributes = options.attributes;
        return parseAck(await signaling.request('publish', request));
      },
      handlers: {
        ready: () => ready.resolve(),
        failed: (error) => {
          if (publication) publication.finish(error);
          else ready.reject(error);
        },
      },
    });
    publication = new Publication(ack.id, stream, transceivers, this.channel());
    this.publications.set(ack.id, publication);
    try {
      await withTimeout(ready.promise, this.options.readyTimeoutMs ?? 20_000, `publication ${ack.id}`);
    } catch (error) {
      await publication.stop();
      throw error instanceof Error ? error : new SessionFailedError(String(error));
    }
    return publication;
  }

  async subscribe(stream: RemoteStream, options: SubscribeOptions = {}): Promise<Subscription> {
    const { signaling, transport } = this.requireJoined();
    const wantAudio = options.audio !== false && stream.hasAudio;
    const wantVideo = options.video !== false && stream.hasVideo;
    if (!wantAudio && !wantVideo)
      throw new TypeError(`subscribe: nothing to receive from stream ${stream.id}`);
    const videoOptions = typeof options.video === 'object' ? options.video : {};
    let videoFrom = stream.id;
    if (videoOptions.rid !== undefined) {
      const layer = stream.layers.find((l) => l.rid === videoOptions.rid);
      if (!layer) throw new RangeError(`stream ${stream.id} has no simulcast layer ${videoOptions.rid}`);
      videoFrom = layer.trackId;
    }
    const kinds: TrackKind[] = [];
    if (wantAudio) kinds.push('audio');
    if (wantVideo) kinds.push('video');
    const codecs = kinds.map((kind) =>
      kind === 'audio'
        ? typeof options.audio === 'object'
          ? (options.audio.codecs ?? [])
          : []
        : (videoOptions.codecs ?? []),
    );
    const ready = deferred<void>();
    // A failure can arrive before anyone awaits `ready`: keep it from counting as unhandled.
    ready.promise.catch(() => undefined);
    let subscription: Subscription | undefined;
    const { ack, transceivers } = await transport.negotiate({
      addTransceivers: (pc) => kinds.map((kind) => pc.addTransceiver(kind, { direction: 'recvonly' })),
      ...codecPreference(codecs),
      request: async (added, transportId) => {
        const mediaTracks: SubscribeTrackRequest[] = added.map((t, i) => {
          const track: SubscribeTrackRequest = {
            type: kinds[i],
            mid: t.mid ?? '',
            from: kinds[i] === 'video' ? videoFrom : stream.id,
          };
          const parameters = kinds[i] === 'video' ? videoParameters(videoOptions) : undefined;
          if (parameters) track.parameters = parameters;
          return track;
        });
        return parseAck(
          await signaling.request('subscribe', {
            media: { tracks: mediaTracks },
            transport: transportRef(transportId),
          }),
        );
      },
      handlers: {
        ready: () => ready.resolve(),
        failed: (error) => {
          if (subscription) subscription.finish(error);
          else ready.reject(error);
        },
      },
    });
    const received = transceivers.map((t) => t.receiver.track);
    const createStream =
      this.options.createMediaStream ??
      (typeof MediaStream === 'function'
        ? (tracks: MediaStreamTrack[]) => new MediaStream(tracks)
        : undefined);
    subscription = new Subscription(ack.id, stream, createStream?.(received), transceivers, this.channel());
    this.subscriptions.set(ack.id, subscription);
    try {
      await withTimeout(ready.promise, this.options.readyTimeoutMs ?? 20_000, `subscription ${ack.id}`);
    } catch (error) {
      await subscription.stop();
      throw error instanceof Error ? error : new SessionFailedError(String(error));
    }
    return subscription;
  }

  /** Sends a text message to everyone ('all') or one participant id. */
  async send(message: string, to = 'all'): Promise<void> {
    const { signaling } = this.requireJoined();
    await signaling.request('text', { to, message });
  }

  /** Logs out, ends every publication and subscription and closes the peer connection. */
  async leave(): Promise<void> {
    const signaling = this.signaling;
    if (!signaling) return;
    this.endEverything();
    await signaling.leave();
  }

  private requireJoined(): { signaling: Signaling; transport: PeerTransport } {
    if (!this.signaling || !this.transport || !this.joined) throw new DisconnectedError('not joined');
    return { signaling: this.signaling, transport: this.transport };
  }

  private channel(): SessionChannel {
    return {
      request: (name, data) => this.requireJoined().signaling.request(name, data),
      release: (id) => {
        this.transport?.removeSession(id);
        this.publications.delete(id);
        this.subscriptions.delete(id);
      },
    };
  }

  private onServerMessage(event: string, data: unknown): void {
    if (!isRecord(data)) return;
    switch (event) {
      case 'progress':
        if (typeof data.id === 'string' && typeof data.status === 'string') {
          this.transport?.handleProgress(data as unknown as ProgressMessage);
        }
        return;
      case 'stream':
        this.onStreamMessage(data);
        return;
      case 'participant':
        this.onParticipantMessage(data);
        return;
      case 'text':
        if (typeof data.message === 'string') {
          this.emit('messagereceived', {
            message: data.message,
            origin: String(data.from ?? ''),
            to: String(data.to ?? 'all'),
          });
        }
        return;
    }
  }

  private onStreamMessage(data: Record<string, unknown>): void {
    const id = data.id;
    if (typeof id !== 'string') return;
    if (data.status === 'add' && isRecord(data.data)) {
      if (this.streamMap.has(id)) return; // replayed after relogin, already known
      const stream = new RemoteStream(data.data as unknown as StreamInfo);
      this.streamMap.set(id, stream);
      this.emit('streamadded', { stream });
    } else if (data.status === 'remove') {
      const stream = this.streamMap.get(id);
      this.streamMap.delete(id);
      for (const subscription of [...this.subscriptions.values()]) {
        if (subscription.source.id === id) subscription.finish();
      }
      this.publications.get(id)?.finish();
      if (stream) {
        stream.markEnded();
        this.emit('streamremoved', { stream });
      }
    } else if (data.status === 'update' && isRecord(data.data) && typeof data.data.field === 'string') {
      const stream = this.streamMap.get(id);
      if (!stream) return;
      stream.applyUpdate(data.data.field, data.data.value);
      this.emit('streamupdated', { stream, field: data.data.field });
    }
  }

  private onParticipantMessage(data: Record<string, unknown>): void {
    if (data.action === 'join' && isRecord(data.data) && typeof data.data.id === 'string') {
      if (this.participantMap.has(data.data.id)) return;
      const participant = new Participant({
        id: data.data.id,
        user: String(data.data.user ?? ''),
        role: String(data.data.role ?? ''),
      });
      this.participantMap.set(participant.id, participant);
      this.emit('participantjoined', { participant });
    } else if (data.action === 'leave' && typeof data.data === 'string') {
      const participant = this.participantMap.get(data.data);
      if (!participant) return;
      this.participantMap.delete(participant.id);
      participant.markLeft();
      this.emit('participantleft', { participant });
    }
  }

  private onDisconnected(reason: string): void {
    this.endEverything(new DisconnectedError(reason));
    this.emit('serverdisconnected', { reason });
  }

  private endEverything(error?: Error): void {
    this.transport?.close();
    for (const publication of [...this.publications.values()]) publication.finish(error);
    for (const subscription of [...this.subscriptions.values()]) subscription.finish(error);
    this.signaling = undefined;
    this.transport = undefined;
    this.joined = undefined;
  }
}

function transportRef(transportId: string | undefined): { type: 'webrtc'; id?: string } {
  return transportId === undefined ? { type: 'webrtc' } : { type: 'webrtc', id: transportId };
}

function parseAck(result: unknown): SessionAck {
  if (!isRecord(result) || typeof result.id !== 'string') {
    throw new ConferenceError('malformed publish/subscribe answer from the portal');
  }
  // Portals that predate shared transports answer without one: the session is its own transport.
  const transportId = typeof result.transportId === 'string' ? result.transportId : result.id;
  return { id: result.id, transportId };
}

/**
 * Codec preference: the standard setCodecPreferences (it must run before createOffer) where it
 * exists and accepts the list; for the transceivers where it does not, the new m-sections of the
 * offer (the last ones) get their payload types reordered instead.
 */
function codecPreference(codecs: string[][]): Pick<NegotiationPlan, 'prepareOffer' | 'editOffer'> {
  const fallback = new Set<number>();
  return {
    prepareOffer: (added) => {
      added.forEach((transceiver, i) => {
        const wanted = codecs[i];
        if (wanted && wanted.length > 0 && !applyCodecPreferences(transceiver, wanted)) fallback.add(i);
      });
    },
    editOffer: (sdp, added) => {
      let edited = sdp;
      const first = sectionCount(sdp) - added.length;
      for (const i of fallback) edited = reorderCodecs(edited, first + i, codecs[i]);
      return edited;
    },
  };
}

function applyCodecPreferences(transceiver: RTCRtpTransceiver, wanted: string[]): boolean {
  const kind = transceiver.receiver.track?.kind;
  if (
    typeof transceiver.setCodecPreferences !== 'function' ||
    typeof RTCRtpReceiver === 'undefined' ||
    !kind
  ) {
    return false;
  }
  const capabilities = RTCRtpReceiver.getCapabilities(kind)?.codecs;
  if (!capabilities) return false;
  const name = (c: RTCRtpCodec) => c.mimeType.split('/')[1]?.toLowerCase() ?? '';
  const preferred = wanted.flatMap((w) => capabilities.filter((c) => name(c) === w.toLowerCase()));
  if (preferred.length === 0) return false;
  try {
    transceiver.setCodecPreferences([...preferred, ...capabilities.filter((c) => !preferred.includes(c))]);
    return true;
  } catch {
    return false;
  }
}
