import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import { z } from 'zod';
import { createLogger } from '../../common/logger.js';
import type { MediaKind } from '../../common/media/media-frame.js';
import type { SessionProgress, TransportProgress } from '../../conference/protocol.js';
import { buildPeerConfig } from './peer-config.js';
import type { TransportSpec, TransportStats } from './protocol.js';
import {
  fixAnswer,
  normalizeCandidate,
  offeredPublisherRtx,
  offeredRtxPayloadType,
  parseSdp,
  prepareOffer,
  type RtxAnswer,
  sectionMid,
  sectionSendRids,
} from './sdp-rules.js';
import type { WebrtcConfig } from './webrtc-config.js';
import { NegotiationError } from './webrtc-errors.js';
import type { WebrtcPublication } from './webrtc-publication.js';
import type { WebrtcSubscription } from './webrtc-subscription.js';

const log = createLogger('webrtc-transport');

const signalingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('offer'), sdp: z.string().min(1) }).loose(),
  z
    .object({
      type: z.literal('candidate'),
      candidate: z
        .object({
          candidate: z.string(),
          sdpMid: z.string().nullish(),
          sdpMLineIndex: z.number().int().min(0).nullish(),
        })
        .loose(),
    })
    .loose(),
  z.object({ type: z.literal('removed-candidates') }).loose(),
]);

export interface WebrtcTransportOptions {
  id: string;
  spec: TransportSpec;
  config: WebrtcConfig;
  /** Codec of a local stream's track, to answer subscriptions with the codec they will get. */
  codecOf: (streamId: string, kind: MediaKind) => string | undefined;
  onTransportProgress: (progress: TransportProgress) => void;
  onSessionProgress: (sessionId: string, progress: SessionProgress) => void;
}

interface RateSample {
  at: number;
  bytes: number;
}

/**
 * One peer connection between a client and this node. The client always offers; each offer
 * may add m-lines for publications/subscriptions announced before it. Offers are applied one at
 * a time; candidates that arrive before the first offer wait for it.
 */
export class WebrtcTransport {
  readonly id: string;
  readonly spec: TransportSpec;
  readonly pc: RTCPeerConnection;
  readonly publications = new Map<string, WebrtcPublication>();
  readonly subscriptions = new Map<string, WebrtcSubscription>();
  private readonly closedMids = new Set<string>();
  private readonly seenCandidates = new Set<string>();
  private pendingCandidates: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }[] = [];
  private readonly awaitingReady = new Set<string>();
  private readonly rates = new Map<string, RateSample>();
  private negotiation: Promise<void> = Promise.resolve();
  private remoteSet = false;
  private connected = false;
  private closed = false;

  constructor(private readonly options: WebrtcTransportOptions) {
    this.id = options.id;
    this.spec = options.spec;
    this.pc = new RTCPeerConnection(buildPeerConfig(options.config));
    this.pc.connectionStateChange.subscribe((state) => this.onConnectionState(state));
  }

  get state(): string {
    return this.closed ? 'closed' : this.pc.connectionState;
  }

  addPublication(publication: WebrtcPublication): void {
    this.publications.set(publication.sessionId, publication);
  }

  addSubscription(subscription: WebrtcSubscription): void {
    this.subscriptions.set(subscription.sessionId, subscription);
  }

  /** The session's m-lines stay in later answers as inactive (the SDK keeps repeating them). */
  removeSession(sessionId: string): void {
    const session = this.publications.get(sessionId) ?? this.subscriptions.get(sessionId);
    if (!session) return;
    for (const mid of session.mids) this.closedMids.add(mid);
    this.publications.delete(sessionId);
    this.subscriptions.delete(sessionId);
    this.awaitingReady.delete(sessionId);
    session.close();
  }

  hasSessions(): boolean {
    return this.publications.size + this.subscriptions.size > 0;
  }

  /** soac from the client: offer, candidate or removed-candidates. */
  signal(signaling: unknown): Promise<void> {
    const parsed = signalingSchema.safeParse(signaling);
    if (!parsed.success) {
      return Promise.reject(
        new NegotiationError(`bad signaling message: ${parsed.error.issues[0]?.message}`),
      );
    }
    const message = parsed.data;
    if (message.type === 'offer') {
      // Answered through onTransportProgress, not the RPC reply: gathering may outlast an RPC
      // timeout (OWT acks soac at once too). A failed offer fails the transport.
      this.negotiation = this.negotiation
        .then(() => this.negotiate(message.sdp))
        .catch((err: unknown) => {
          log.warn({ err, transportId: this.id }, 'offer failed');
          if (!this.closed)
            this.options.onTransportProgress({ type: 'failed', reason: (err as Error).message });
        });
      return Promise.resolve();
    }
    if (message.type === 'candidate') {
      const c = message.candidate;
      const candidate = {
        candidate: normalizeCandidate(c.candidate),
        sdpMid: c.sdpMid ?? undefined,
        sdpMLineIndex: c.sdpMLineIndex ?? undefined,
      };
      // The SDK trickles again after each answer: the same candidate twice is normal.
      if (candidate.candidate === '' || this.seenCandidates.has(candidate.candidate))
        return Promise.resolve();
      this.seenCandidates.add(candidate.candidate);
      if (!this.remoteSet) {
        this.pendingCandidates.push(candidate);
        return Promise.resolve();
      }
      return this.addCandidate(candidate);
    }
    return Promise.resolve(); // removed-candidates: werift has no way to drop a remote candidate
  }

  async getStats(): Promise<TransportStats> {
    const sessions: TransportStats['sessions'] = [];
    const now = performance.now();
    for (const pub of this.publications.values()) {
      for (const track of pub.tracks) {
        const s = pub.stats(track.type);
        sessions.push({
          sessionId: pub.sessionId,
          direction: 'in',
          kind: track.type,
          bitrateBps: this.rate(`${pub.sessionId}/${track.type}`, s.bytes, now),
          packets: s.packets,
          packetsLost: s.packetsLost,
          frames: s.frames,
        });
      }
    }
    for (const sub of this.subscriptions.values()) {
      for (const track of sub.tracks) {
        const s = sub.counters(track.type);
        if (!s) continue;
        const rtt = sub.rttMs(track.type);
        sessions.push({
          sessionId: sub.sessionId,
          direction: 'out',
          kind: track.type,
          bitrateBps: this.rate(`${sub.sessionId}/${track.type}`, s.bytes, now),
          packets: s.packets,
          packetsLost: 0,
          frames: s.frames,
          ...(rtt === undefined ? {} : { rttMs: rtt }),
        });
      }
    }
    return { transportId: this.id, state: this.state, sessions };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.publications.keys(), ...this.subscriptions.keys()]) this.removeSession(id);
    await this.pc.close().catch((err: unknown) => log.debug({ err }, 'close failed'));
  }

  private rate(key: string, bytes: number, now: number): number {
    const last = this.rates.get(key);
    this.rates.set(key, { at: now, bytes });
    if (!last || now <= last.at) return 0;
    return Math.round(((bytes - last.bytes) * 8 * 1000) / (now - last.at));
  }

  private async addCandidate(candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }) {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      log.debug({ err, transportId: this.id }, 'candidate refused');
    }
  }

  private async negotiate(offerSdp: string): Promise<void> {
    if (this.closed) throw new NegotiationError(`transport ${this.id} is closed`);
    const offer = parseSdp(offerSdp);
    const offered = new Map(offer.media.map((m) => [sectionMid(m), m]));
    const codecByMid = new Map<string, string>();
    // Trap 6: a recvonly offer m-line needs a sendonly transceiver before setRemoteDescription;
    // its mid is preset so that werift binds it to that m-line and no other.
    for (const sub of this.subscriptions.values()) {
      if (sub.isAttached) continue;
      for (const track of sub.tracks) {
        if (!offered.has(track.mid)) continue;
        const codec = track.codec ?? this.options.codecOf(track.from, track.type);
        if (codec) codecByMid.set(track.mid, codec.toLowerCase());
        if (this.transceiverByMid(track.mid)) continue;
        const transceiver = this.pc.addTransceiver(track.type, { direction: 'sendonly' });
        transceiver.mid = track.mid;
        // One msid stream id per subscription (the SDK resolves the subscription by it).
        transceiver.sender.streamId = sub.sessionId;
      }
    }
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: prepareOffer(offerSdp, { codecByMid }) });
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
    } catch (err) {
      throw new NegotiationError(`offer not applied: ${(err as Error).message}`, { cause: err });
    }
    if (!this.remoteSet) {
      this.remoteSet = true;
      for (const c of this.pendingCandidates.splice(0)) await this.addCandidate(c);
    }
    await this.gathered();
    const local = this.pc.localDescription?.sdp;
    if (!local) throw new NegotiationError('werift produced no answer');
    const sdp = fixAnswer(local, offerSdp, {
      closedMids: this.closedMids,
      publicIp: this.options.config.publicIp || undefined,
      rtx: this.rtxAnswers(offerSdp),
    });
    this.options.onTransportProgress({ type: 'answer', sdp });
    this.attachSessions(offered);
  }

  /**
   * Video m-lines whose offer has RTX for the negotiated codec (werift negotiates none,
   * sdp-rules.ts): subscriptions get it back in the answer and their sender retransmits on the
   * RTX SSRC; publications with a FID group get it accepted and their RTX unwrapped by werift.
   */
  private rtxAnswers(offerSdp: string): Map<string, RtxAnswer> {
    const plan = new Map<string, RtxAnswer>();
    for (const sub of this.subscriptions.values()) {
      for (const track of sub.tracks) {
        if (track.type !== 'video' || this.closedMids.has(track.mid)) continue;
        const transceiver = this.transceiverByMid(track.mid);
        const apt = transceiver?.codecs[0]?.payloadType;
        if (!transceiver || apt === undefined) continue;
        const rtxPayloadType = offeredRtxPayloadType(offerSdp, track.mid, apt);
        if (rtxPayloadType === undefined) continue;
        // werift's sender field: both outgoing paths read it (own-track-output.ts, werift's NACK answer).
        (transceiver.sender as unknown as { rtxPayloadType?: number }).rtxPayloadType = rtxPayloadType;
        plan.set(track.mid, {
          apt,
          rtxPayloadType,
          ssrcs: { mediaSsrc: transceiver.sender.ssrc, rtxSsrc: transceiver.sender.rtxSsrc },
        });
      }
    }
    for (const pub of this.publications.values()) {
      for (const track of pub.tracks) {
        if (track.type !== 'video' || this.closedMids.has(track.mid)) continue;
        const transceiver = this.transceiverByMid(track.mid);
        const apt = transceiver?.codecs[0]?.payloadType;
        if (!transceiver || apt === undefined) continue;
        const rtx = offeredPublisherRtx(offerSdp, track.mid, apt);
        if (!rtx) continue;
        // werift unwraps RTX by these two tables of its receiver; it negotiated no RTX itself.
        const receiver = transceiver.receiver as unknown as {
          codecs: Record<number, RTCRtpCodecParameters>;
          ssrcByRtx: Record<number, number>;
        };
        receiver.codecs[rtx.rtxPayloadType] = new RTCRtpCodecParameters({
          mimeType: 'video/rtx',
          clockRate: 90000,
          payloadType: rtx.rtxPayloadType,
          parameters: `apt=${apt}`,
        });
        receiver.ssrcByRtx[rtx.rtxSsrc] = rtx.mediaSsrc;
        // …and its RTP router must send the RTX SSRC's packets to that receiver.
        (
          this.pc as unknown as { router: { registerRtpReceiver(r: unknown, ssrc: number): void } }
        ).router.registerRtpReceiver(transceiver.receiver, rtx.rtxSsrc);
        plan.set(track.mid, { apt, rtxPayloadType: rtx.rtxPayloadType });
      }
    }
    return plan;
  }

  private attachSessions(
    offered: Map<string | undefined, ReturnType<typeof parseSdp>['media'][number]>,
  ): void {
    for (const pub of this.publications.values()) {
      if (pub.isAttached) continue;
      let attached = false;
      for (const track of pub.tracks) {
        const section = offered.get(track.mid);
        const transceiver = this.transceiverByMid(track.mid);
        if (!section || !transceiver) continue;
        try {
          pub.attach(track, transceiver, track.type === 'video' ? sectionSendRids(section) : []);
          attached = true;
        } catch (err) {
          log.warn({ err, sessionId: pub.sessionId }, 'publication not attached');
          this.options.onSessionProgress(pub.sessionId, { type: 'failed', reason: (err as Error).message });
        }
      }
      if (attached) this.readyWhenConnected(pub.sessionId);
    }
    for (const sub of this.subscriptions.values()) {
      if (sub.isAttached) continue;
      let attached = false;
      for (const track of sub.tracks) {
        const transceiver = this.transceiverByMid(track.mid);
        if (!offered.has(track.mid) || !transceiver) continue;
        sub.attach(track, transceiver);
        attached = true;
      }
      if (attached) this.readyWhenConnected(sub.sessionId);
    }
  }

  private readyWhenConnected(sessionId: string): void {
    if (this.connected) this.reportSessionReady(sessionId);
    else this.awaitingReady.add(sessionId);
  }

  private reportSessionReady(sessionId: string): void {
    const pub = this.publications.get(sessionId);
    this.options.onSessionProgress(
      sessionId,
      pub ? { type: 'ready', media: pub.media() } : { type: 'ready' },
    );
  }

  private onConnectionState(state: string): void {
    if (this.closed) return;
    log.debug({ transportId: this.id, state }, 'connection state');
    if (state === 'connected' && !this.connected) {
      this.connected = true;
      this.options.onTransportProgress({ type: 'ready' });
      for (const sessionId of this.awaitingReady) this.reportSessionReady(sessionId);
      this.awaitingReady.clear();
    } else if (state === 'failed') {
      this.options.onTransportProgress({ type: 'failed', reason: 'ICE/DTLS failed' });
      for (const sessionId of [...this.publications.keys(), ...this.subscriptions.keys()]) {
        this.options.onSessionProgress(sessionId, { type: 'failed', reason: 'transport failed' });
      }
    }
  }

  private transceiverByMid(mid: string): RTCRtpTransceiver | undefined {
    return this.pc.getTransceivers().find((t) => t.mid === mid);
  }

  /** The SDK ignores trickled server candidates: the answer must carry them all. */
  private gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.config.gatherTimeoutMs);
      const sub = this.pc.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') done();
      });
      function done() {
        clearTimeout(timer);
        sub.unSubscribe();
        resolve();
      }
    });
  }
}
