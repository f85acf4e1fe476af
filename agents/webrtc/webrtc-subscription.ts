import type { RTCRtpTransceiver, RtcpPacket as WeriftRtcpPacket } from 'werift';
import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import { KEYFRAME_REQUEST, type MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame, MediaKind } from '../../common/media/media-frame.js';
import type { FanoutPacer } from './outgoing/fanout-pacer.js';
import { OwnTrackOutput } from './outgoing/own-track-output.js';
import type { OutgoingPath, TrackOutput } from './outgoing/track-output.js';
import { WeriftTrackOutput } from './outgoing/werift-track-output.js';
import type { SubscribeTrack } from './protocol.js';
import { isRtpCodec, rtpClockRate } from './rtp/codecs.js';
import type { SharedPacketizer } from './shared-packetizer.js';
import { codecName } from './webrtc-publication.js';

const log = createLogger('webrtc-subscription');

/** Keyframe requests towards the source are rate-limited (PLI storms from lossy viewers). */
const KEYFRAME_REQUEST_MIN_INTERVAL_MS = 300;
const RTCP_PSFB = 206;
const FIR_FMT = 4;

interface OutgoingTrack {
  track: SubscribeTrack;
  transceiver: RTCRtpTransceiver;
  output: TrackOutput | undefined;
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
  retransmitted: number;
  nacks: number;
}

export interface WebrtcSubscriptionOptions {
  /** Shares each frame's packetization among the node's subscriptions. */
  packetizer: SharedPacketizer;
  /** Spreads fan-out bursts over loop turns (own path only). */
  pacer: FanoutPacer;
  /** Our own RTP path (default) or werift's sender (baseline). */
  outgoingPath: OutgoingPath;
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
    private readonly options: WebrtcSubscriptionOptions,
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
      output: undefined,
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
    out.output ??= this.createOutput(out);
    const output = out.output;
    if (!output) return;
    const streamId = this.linkedStream ?? '';
    const payloads = this.options.packetizer.payloads(streamId, frame, out.packetizationMode);
    if (!payloads) return;
    if (!output.sendFrame(frame, payloads, streamId)) {
      // Not connected yet: a keyframe that could not go out must come again.
      if (frame.kind === 'video') this.waitKeyframe = true;
      return;
    }
    out.frames++;
    out.packets += payloads.length;
    for (const p of payloads) out.bytes += p.length + 12;
  }

  /** Sender reports of the own path (the node calls this about once a second). */
  sendReports(nowMs: number): void {
    for (const out of this.outgoing.values()) out.output?.sendReport(nowMs);
  }

  counters(kind: MediaKind): SubscriptionCounters | undefined {
    const out = this.outgoing.get(kind);
    if (!out) return undefined;
    const sent = out.output?.counters();
    return {
      // What went out (own path: retransmissions included); before the first send, what was handed over.
      packets: sent?.packets ?? out.packets,
      bytes: sent ? sent.octets + 12 * sent.packets : out.bytes,
      frames: out.frames,
      keyframeRequests: this.keyframeRequests,
      retransmitted: sent?.retransmitted ?? 0,
      nacks: sent?.nacks ?? 0,
    };
  }

  /** Round-trip time measured from the client's receiver reports (ms). */
  rttMs(kind: MediaKind): number | undefined {
    return this.outgoing.get(kind)?.output?.rttMs();
  }

  close(): void {
    this.closed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    for (const out of this.outgoing.values()) out.output?.close();
    this.feedback = undefined;
  }

  private createOutput(out: OutgoingTrack): TrackOutput | undefined {
    if (!isRtpCodec(out.codec)) return undefined;
    const clockRate = rtpClockRate(out.codec);
    return this.options.outgoingPath === 'werift'
      ? new WeriftTrackOutput(out.transceiver, out.codec, clockRate, out.packetizationMode)
      : new OwnTrackOutput(out.transceiver, this.options.pacer, clockRate);
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
