import { ConferenceTimeoutError, RequestRejectedError, TransportError } from './errors.js';
import { isRecord, type ProgressMessage, type SessionAck } from './protocol.js';
import { candidateLine } from './sdp.js';
import type { Signaling } from './signaling.js';
import { TypedEmitter } from './typed-emitter.js';

export type PeerConnectionFactory = (configuration: RTCConfiguration) => RTCPeerConnection;

/** What a publication or subscription hears about itself from `progress`. */
export interface SessionHandlers {
  ready(): void;
  failed(error: Error): void;
}

/** One publish or subscribe negotiation, run by PeerTransport.negotiate. */
export interface NegotiationPlan {
  /** Adds this operation's transceivers (sendonly or recvonly) to the shared peer connection. */
  addTransceivers(pc: RTCPeerConnection): RTCRtpTransceiver[];
  /** Runs after the transceivers are added, before createOffer (setCodecPreferences). */
  prepareOffer?(transceivers: RTCRtpTransceiver[]): void;
  /** Edits the offer before it is applied (codec order where setCodecPreferences is missing). */
  editOffer?(sdp: string, transceivers: RTCRtpTransceiver[]): string;
  /** Sends publish/subscribe naming the transceivers' mids; the portal acks `{id, transportId}`. */
  request(transceivers: RTCRtpTransceiver[], transportId: string | undefined): Promise<SessionAck>;
  handlers: SessionHandlers;
}

export interface TransportEvents {
  [event: string]: unknown;
  /** `progress` ready without a session id: ICE and DTLS are up. */
  ready: { transportId: string };
  /** The peer connection failed or was reset; every session on it has been told. */
  failed: { error: Error };
}

export interface PeerTransportOptions {
  createPeerConnection?: PeerConnectionFactory;
  rtcConfiguration?: RTCConfiguration;
  /** How long to wait for the SDP answer of one negotiation (OWT SDK: 10 s). */
  answerTimeoutMs?: number;
}

interface AnswerWaiter {
  resolve(sdp: string): void;
  reject(error: Error): void;
}

/**
 * The client's single RTCPeerConnection, shared by every publication and subscription (as the
 * OWT JS SDK 5.x does). The client always offers; negotiations run one at a time; the transport
 * id comes from the first operation's ack and is named by every later one; `progress` events
 * are routed by transport id and session id; local candidates trickle through `soac` with the
 * "a=" prefix once the first answer is applied.
 */
export class PeerTransport extends TypedEmitter<TransportEvents> {
  private pc: RTCPeerConnection | undefined;
  private id: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private waiter: AnswerWaiter | undefined;
  private answered = false;
  private closed = false;
  private pendingCandidates: RTCIceCandidate[] = [];
  private readonly sessions = new Map<string, SessionHandlers>();
  private readonly answerTimeoutMs: number;

  constructor(
    private readonly signaling: Signaling,
    private readonly options: PeerTransportOptions = {},
  ) {
    super();
    this.answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
  }

  get transportId(): string | undefined {
    return this.id;
  }

  get peerConnection(): RTCPeerConnection | undefined {
    return this.pc;
  }

  /** Runs `plan` once every earlier negotiation has finished. */
  negotiate(plan: NegotiationPlan): Promise<{ ack: SessionAck; transceivers: RTCRtpTransceiver[] }> {
    const run = this.queue.then(() => this.runNegotiation(plan));
    this.queue = run.catch(() => undefined);
    return run;
  }

  removeSession(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  /** Routes one `progress` event; ids that are neither this transport nor one of its sessions are ignored. */
  handleProgress(message: ProgressMessage): void {
    const isTransport = this.id !== undefined && message.id === this.id;
    let sessionId: string | undefined;
    if (isTransport) sessionId = message.sessionId;
    else if (this.sessions.has(message.id))
      sessionId = message.id; // older portals: `id` is the session
    else return; // another (e.g. replaced) transport: not ours
    switch (message.status) {
      case 'soac': {
        const data = message.data;
        if (isRecord(data) && data.type === 'answer' && typeof data.sdp === 'string')
          this.waiter?.resolve(data.sdp);
        // Server candidates arrive inside the answer; trickled ones are ignored, like the OWT SDK does.
        return;
      }
      case 'ready':
        if (sessionId !== undefined) this.sessions.get(sessionId)?.ready();
        else if (this.id !== undefined) this.emit('ready', { transportId: this.id });
        return;
      case 'error': {
        const reason =
          typeof message.data === 'string' ? message.data : JSON.stringify(message.data ?? 'error');
        if (sessionId !== undefined) {
          const handlers = this.sessions.get(sessionId);
          this.sessions.delete(sessionId);
          handlers?.failed(new TransportError(`session ${sessionId} failed: ${reason}`));
        } else {
          this.reset(new TransportError(`transport ${message.id} failed: ${reason}`));
        }
        return;
      }
    }
  }

  /** Closes the peer connection for good (leave/disconnect); sessions are not told. */
  close(): void {
    this.closed = true;
    this.sessions.clear();
    this.teardown(new TransportError('transport closed'));
  }

  private async runNegotiation(
    plan: NegotiationPlan,
  ): Promise<{ ack: SessionAck; transceivers: RTCRtpTransceiver[] }> {
    if (this.closed) throw new TransportError('transport closed');
    const pc = this.ensurePeerConnection();
    const transceivers = plan.addTransceivers(pc);
    let ack: SessionAck | undefined;
    try {
      plan.prepareOffer?.(transceivers);
      const offer = await pc.createOffer();
      const sdp = plan.editOffer ? plan.editOffer(offer.sdp ?? '', transceivers) : (offer.sdp ?? '');
      await pc.setLocalDescription({ type: 'offer', sdp });
      ack = await plan.request(transceivers, this.id);
      if (this.id === undefined) this.id = ack.transportId;
      else if (ack.transportId !== this.id) {
        throw new TransportError(`portal answered transport ${ack.transportId}, expected ${this.id}`);
      }
      // Registered before the offer goes out: `ready` may follow the answer closely.
      this.sessions.set(ack.id, plan.handlers);
      const answer = this.waitForAnswer();
      await this.signaling.request('soac', {
        id: this.id,
        signaling: { type: 'offer', sdp: pc.localDescription?.sdp ?? sdp },
      });
      const answerSdp = await answer;
      try {
        await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
      } catch (error) {
        throw new TransportError(`cannot apply the portal's answer: ${String(error)}`, { cause: error });
      }
      this.answered = true;
      this.flushCandidates();
      return { ack, transceivers };
    } catch (error) {
      this.waiter = undefined;
      if (ack) this.sessions.delete(ack.id);
      await this.undo(pc, transceivers);
      throw error instanceof RequestRejectedError || error instanceof ConferenceTimeoutError
        ? error
        : error instanceof TransportError
          ? error
          : new TransportError(`negotiation failed: ${String(error)}`, { cause: error });
    }
  }

  private waitForAnswer(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ConferenceTimeoutError(`no SDP answer within ${this.answerTimeoutMs} ms`));
      }, this.answerTimeoutMs);
      this.waiter = {
        resolve: (sdp) => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(sdp);
        },
        reject: (error) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(error);
        },
      };
    });
  }

  /** Leaves the peer connection as it was before a failed negotiation, so later ones still work. */
  private async undo(pc: RTCPeerConnection, transceivers: RTCRtpTransceiver[]): Promise<void> {
    if (this.pc !== pc) return;
    try {
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
      for (const transceiver of transceivers) transceiver.stop();
    } catch (error) {
      // A peer connection that cannot roll back is unusable: start afresh next time.
      this.reset(new TransportError(`peer connection unusable after a failed negotiation: ${String(error)}`));
    }
  }

  private ensurePeerConnection(): RTCPeerConnection {
    if (this.pc) return this.pc;
    const configuration: RTCConfiguration = { bundlePolicy: 'max-bundle', ...this.options.rtcConfiguration };
    const pc = this.options.createPeerConnection
      ? this.options.createPeerConnection(configuration)
      : new RTCPeerConnection(configuration);
    pc.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) => {
      if (this.pc !== pc || !event.candidate || !event.candidate.candidate) return;
      if (this.answered) this.sendCandidate(event.candidate);
      else this.pendingCandidates.push(event.candidate);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.pc === pc && pc.connectionState === 'failed') {
        this.reset(new TransportError('peer connection failed (ICE/DTLS)'));
      }
    });
    this.pc = pc;
    return pc;
  }

  private flushCandidates(): void {
    for (const candidate of this.pendingCandidates.splice(0)) this.sendCandidate(candidate);
  }

  private sendCandidate(candidate: RTCIceCandidate): void {
    if (this.id === undefined) return;
    this.signaling
      .request('soac', {
        id: this.id,
        signaling: {
          type: 'candidate',
          candidate: {
            candidate: candidateLine(candidate.candidate),
            sdpMid: candidate.sdpMid,
            sdpMLineIndex: candidate.sdpMLineIndex,
          },
        },
      })
      .catch(() => undefined); // a lost candidate is not fatal: others or the offer's own lines remain
  }

  /** Tears the transport down and fails every session on it. */
  private reset(error: Error): void {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    this.teardown(error);
    for (const handlers of sessions) handlers.failed(error);
    this.emit('failed', { error });
  }

  private teardown(error: Error): void {
    this.waiter?.reject(error);
    this.waiter = undefined;
    const pc = this.pc;
    this.pc = undefined;
    this.id = undefined;
    this.answered = false;
    this.pendingCandidates = [];
    pc?.close();
  }
}
