import {
  type RTCRtpTransceiver,
  RtpHeader,
  type RtcpPacket as WeriftRtcpPacket,
  RtpPacket as WeriftRtpPacket,
} from 'werift';
import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import { KEYFRAME_REQUEST, type MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame, MediaKind } from '../../common/media/media-frame.js';
import type { SubscribeTrack } from './protocol.js';
import { createPacketizer, isRtpCodec, rtpClockRate } from './rtp/codecs.js';
import { RtpStreamSender } from './rtp/rtp-stream-sender.js';
import { MAX_RTP_PAYLOAD, type SharedPacketizer } from './shared-packetizer.js';
import { codecName } from './webrtc-publication.js';

const log = createLogger('webrtc-subscription');

/** Keyframe requests towards the source are rate-limited (PLI storms from lossy viewers). */
const KEYFRAME_REQUEST_MIN_INTERVAL_MS = 300;
const RTCP_PSFB = 206;
const FIR_FMT = 4;

interface OutgoingTrack {
  track: SubscribeTrack;
  transceiver: RTCRtpTransceiver;
  sender: RtpStreamSender | undefined;
  codec: string;
  packetizationMode: 0 | 1;
  packets: number;
  bytes: number;
  frames: number;
  codecMismatch: boolean;
}

export interface SubscriptionCounters {
  packets: number;
  bytes: number;
  frames: number;
  keyframeRequests: number;
}

/**
 * One subscription: a MediaSink linked (by the router) to a stream; audio and video frames go
 * out through our packetizers on the subscription's sendonly transceivers. Video waits for a
 * keyframe after every linkup (new viewer, layer switch, relink to another stream).
 */
export class WebrtcSubscription implements MediaSink {
  readonly type = 'webrtc';
  readonly sessionId: string;
  readonly tracks: SubscribeTrack[];
  private readonly outgoing = new Map<MediaKind, OutgoingTrack>();
  private readonly disposers: (() => void)[] = [];
  private feedback: ((feedback: MediaFeedback) => void) | undefined;
  private linkedStream: string | undefined;
  private waitKeyframe = true;
  private lastKeyframeRequestAt = Number.NEGATIVE_INFINITY;
  private readonly muted = { audio: false, video: false };
  keyframeRequests = 0;
  private closed = false;

  constructor(
    sessionId: string,
    tracks: SubscribeTrack[],
    private readonly packetizer: SharedPacketizer,
  ) {
    this.sessionId = sessionId;
    this.tracks = tracks;
  }

  get mids(): string[] {
    return this.tracks.map((t) => t.mid);
  }

  get streamId(): string | undefined {
    return this.linkedStream;
  }

  get isAttached(): boolean {
    return this.outgoing.size > 0;
  }

  /** The negotiation that carried this mid is done: frames of this kind go out on it. */
  attach(track: SubscribeTrack, transceiver: RTCRtpTransceiver): void {
    if (this.outgoing.has(track.type)) return;
    const codec = transceiver.codecs[0];
    const out: OutgoingTrack = {
      track,
      transceiver,
      sender: undefined,
      codec: codec ? codecName(codec.mimeType) : '',
      packetizationMode: codec?.parameters?.includes('packetization-mode=1') ? 1 : 0,
      packets: 0,
      bytes: 0,
      frames: 0,
      codecMismatch: false,
    };
    this.outgoing.set(track.type, out);
    const pli = transceiver.sender.onPictureLossIndication.subscribe(() => this.askKeyframe(true));
    // werift only reports PLI; FIR (older clients) is read from the raw RTCP.
    const fir = transceiver.sender.onRtcp.subscribe((packet: WeriftRtcpPacket) => {
      const feedback = (packet as { feedback?: { count?: number } }).feedback;
      if (packet.type === RTCP_PSFB && feedback?.count === FIR_FMT) this.askKeyframe(true);
    });
    this.disposers.push(pli.unSubscribe, fir.unSubscribe);
  }

  onLinkup(streamId: string, feedback: (feedback: MediaFeedback) => void): void {
    this.linkedStream = streamId;
    this.feedback = feedback;
    this.waitKeyframe = true;
  }

  onCutoff(): void {
    this.linkedStream = undefined;
    this.feedback = undefined;
  }

  setMuted(kind: MediaKind, muted: boolean): void {
    this.muted[kind] = muted;
    if (kind === 'video' && !muted) {
      this.waitKeyframe = true;
      this.askKeyframe(true);
    }
  }

  isMuted(kind: MediaKind): boolean {
    return this.muted[kind];
  }

  onFrame(frame: MediaFrame): void {
    if (this.closed || this.muted[frame.kind]) return;
    const out = this.outgoing.get(frame.kind);
    if (!out) return;
    if (frame.kind === 'video') {
      if (this.waitKeyframe && !frame.keyframe) {
        this.askKeyframe(false);
        return;
      }
      if (frame.keyframe) this.waitKeyframe = false;
    }
    if (frame.codec !== out.codec) {
      if (!out.codecMismatch) {
        out.codecMismatch = true;
        log.warn({ sessionId: this.sessionId, frame: frame.codec, negotiated: out.codec }, 'codec mismatch');
      }
      return;
    }
    out.sender ??= this.createSender(out);
    const sender = out.sender;
    if (!sender) return;
    const streamId = this.linkedStream ?? '';
    const payloads = this.packetizer.payloads(streamId, frame, out.packetizationMode);
    if (!payloads) return;
    out.frames++;
    for (const packet of sender.sendPayloads(frame, payloads, streamId)) {
      out.packets++;
      out.bytes += packet.payload.length + 12;
      // A fresh header per subscriber (werift rewrites and caches it: trap 3); the payload is
      // shared and never written. werift sets its SSRC/PT, encrypts, answers NACKs from history.
      const header = new RtpHeader({
        payloadType: packet.payloadType,
        marker: packet.marker,
        sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp,
        ssrc: packet.ssrc,
      });
      const p = packet.payload;
      out.transceiver.sender
        .sendRtp(new WeriftRtpPacket(header, Buffer.from(p.buffer, p.byteOffset, p.byteLength)))
        .catch((err: unknown) => log.debug({ err }, 'RTP not sent'));
    }
  }

  counters(kind: MediaKind): SubscriptionCounters | undefined {
    const out = this.outgoing.get(kind);
    if (!out) return undefined;
    return {
      packets: out.packets,
      bytes: out.bytes,
      frames: out.frames,
      keyframeRequests: this.keyframeRequests,
    };
  }

  /** Round-trip time werift measured from the client's receiver reports (ms). */
  rttMs(kind: MediaKind): number | undefined {
    // werift keeps its RTT estimate (seconds) in a private field.
    const sender: unknown = this.outgoing.get(kind)?.transceiver.sender;
    const rtt = (sender as { rtt?: number } | undefined)?.rtt;
    return rtt === undefined ? undefined : rtt * 1000;
  }

  close(): void {
    this.closed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    this.feedback = undefined;
  }

  private createSender(out: OutgoingTrack): RtpStreamSender | undefined {
    if (!isRtpCodec(out.codec)) return undefined;
    const negotiated = out.transceiver.codecs[0];
    return new RtpStreamSender({
      ssrc: out.transceiver.sender.ssrc,
      payloadType: negotiated?.payloadType ?? 96,
      clockRate: rtpClockRate(out.codec),
      // Unused: payloads come from the node's SharedPacketizer (sendPayloads).
      packetizer: createPacketizer(out.codec, { packetizationMode: out.packetizationMode }),
      maxPayloadSize: MAX_RTP_PAYLOAD,
    });
  }

  private askKeyframe(fromClient: boolean): void {
    const now = performance.now();
    if (!fromClient && now - this.lastKeyframeRequestAt < KEYFRAME_REQUEST_MIN_INTERVAL_MS) return;
    if (fromClient && now - this.lastKeyframeRequestAt < KEYFRAME_REQUEST_MIN_INTERVAL_MS / 3) return;
    this.lastKeyframeRequestAt = now;
    this.keyframeRequests++;
    this.feedback?.(KEYFRAME_REQUEST);
  }
}
