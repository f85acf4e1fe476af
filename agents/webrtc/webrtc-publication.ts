import {
  type MediaStreamTrack,
  ReceiverEstimatedMaxBitrate,
  type RTCRtpTransceiver,
  RtcpPayloadSpecificFeedback,
  type RtpPacket as WeriftRtpPacket,
} from 'werift';
import { createLogger } from '../../common/logger.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { AudioCodec, MediaFrame, MediaKind, VideoCodec } from '../../common/media/media-frame.js';
import type { MediaRouter } from '../../common/media/media-router.js';
import { layerStreamId, type PublicationMedia, type PublishTrack } from './protocol.js';
import { PublicationSource } from './publication-source.js';
import { RembEstimator } from './remb-estimator.js';
import { isRtpCodec } from './rtp/codecs.js';
import { parseRtpPacket } from './rtp/rtp-packet.js';
import { RtpReceiveStream } from './rtp/rtp-receive-stream.js';

const log = createLogger('webrtc-publication');

/** A decoder stuck waiting for a keyframe asks again at most this often. */
const PLI_MIN_INTERVAL_MS = 300;

interface IncomingStream {
  receive: RtpReceiveStream;
  kind: MediaKind;
  /** rid, or '' without simulcast. */
  layer: string;
  lastPliAt: number;
  /** Bytes received, and the receive rate measured over the last window (layer choice by bitrate). */
  bytes: number;
  rate: { windowStart: number; windowBytes: number; bps: number | undefined };
}

/** How long a receive-rate window lasts. */
const RATE_WINDOW_MS = 1000;

interface AttachedTrack {
  track: PublishTrack;
  transceiver: RTCRtpTransceiver;
  rids: string[];
  seen: Set<MediaStreamTrack>;
}

export interface KindCounters {
  packets: number;
  bytes: number;
  frames: number;
  packetsLost: number;
}

export interface WebrtcPublicationOptions {
  sessionId: string;
  tracks: PublishTrack[];
  router: MediaRouter;
  /** The format or a resolution became known or changed. */
  onMediaUpdate: (media: PublicationMedia) => void;
}

/**
 * One publication of a client: its m-lines' RTP (werift has decrypted it) → our reorder buffer
 * and frame assembler → MediaFrames in the node's router. Router streams: `sessionId` carries
 * audio and video (the first rid when simulcast); each rid is also `sessionId:rid`.
 */
export class WebrtcPublication {
  readonly sessionId: string;
  readonly tracks: PublishTrack[];
  private readonly router: MediaRouter;
  private readonly attached = new Map<string, AttachedTrack>();
  private readonly incoming = new Map<number, IncomingStream>();
  private readonly sources = new Map<string, PublicationSource>();
  private readonly disposers: (() => void)[] = [];
  private readonly resolutions = new Map<string, { width: number; height: number }>();
  private readonly muted = { audio: false, video: false };
  readonly counters: Record<MediaKind, KindCounters> = {
    audio: { packets: 0, bytes: 0, frames: 0, packetsLost: 0 },
    video: { packets: 0, bytes: 0, frames: 0, packetsLost: 0 },
  };
  private mainLayer = '';
  private closed = false;
  private remb: RembEstimator | undefined;
  private rembLast = { at: 0, bytes: 0, packets: 0, lost: 0 };

  constructor(private readonly options: WebrtcPublicationOptions) {
    this.sessionId = options.sessionId;
    this.tracks = options.tracks;
    this.router = options.router;
  }

  get mids(): string[] {
    return this.tracks.map((t) => t.mid);
  }

  get isAttached(): boolean {
    return this.attached.size > 0;
  }

  /** The offer that carries our mids was applied: bind the transceivers, publish the streams. */
  attach(track: PublishTrack, transceiver: RTCRtpTransceiver, rids: string[]): void {
    if (this.attached.has(track.mid)) return;
    this.attached.set(track.mid, { track, transceiver, rids, seen: new Set() });
    if (track.type === 'video' && rids.length > 0) this.mainLayer = rids[0]!;
    this.publishStream(this.sessionId);
    if (track.type === 'video')
      for (const rid of rids) this.publishStream(layerStreamId(this.sessionId, rid));
    this.watchTracks();
  }

  /** What the client negotiated, in the shape of PublicationMedia. */
  media(): PublicationMedia {
    const tracks: PublicationMedia['tracks'] = [];
    for (const { track, transceiver, rids } of this.attached.values()) {
      const codec = transceiver.codecs[0];
      const name = codec ? codecName(codec.mimeType) : 'unknown';
      const format: PublicationMedia['tracks'][number]['format'] = { codec: name };
      if (track.type === 'audio' && codec) {
        format.sampleRate = codec.clockRate;
        format.channelNum = codec.channels ?? 1;
      }
      if (name === 'h264' && codec?.parameters) {
        const m = /profile-level-id=([0-9a-fA-F]{6})/.exec(codec.parameters);
        if (m) format.profile = m[1]!.toLowerCase();
      }
      const entry: PublicationMedia['tracks'][number] = { type: track.type, mid: track.mid, format };
      if (track.source) entry.source = track.source;
      if (track.type === 'video') {
        if (rids.length > 0) entry.rids = rids;
        if (this.resolutions.size > 0) entry.resolutions = Object.fromEntries(this.resolutions);
      }
      tracks.push(entry);
    }
    return { tracks };
  }

  /** Timer work (every ~20 ms): pick up new rid tracks, give up on old gaps, measure rates. */
  tick(nowMs: number): void {
    if (this.closed) return;
    this.watchTracks();
    for (const stream of this.incoming.values()) {
      stream.receive.poll(nowMs);
      const rate = stream.rate;
      const elapsed = nowMs - rate.windowStart;
      if (elapsed < RATE_WINDOW_MS) continue;
      rate.bps = ((stream.bytes - rate.windowBytes) * 8 * 1000) / elapsed;
      rate.windowStart = nowMs;
      rate.windowBytes = stream.bytes;
    }
  }

  /** Receive rate (bit/s) of each video layer measured so far (rid, or '' without simulcast). */
  layerBitrates(): Map<string, number> {
    const rates = new Map<string, number>();
    for (const stream of this.incoming.values()) {
      if (stream.kind === 'video' && stream.rate.bps !== undefined) rates.set(stream.layer, stream.rate.bps);
    }
    return rates;
  }

  /** Counters of one kind, with losses as our reorder buffer saw them (after werift's NACKs). */
  stats(kind: MediaKind): KindCounters {
    let lost = 0;
    for (const stream of this.incoming.values())
      if (stream.kind === kind) lost += stream.receive.stats.reorder.lost;
    return { ...this.counters[kind], packetsLost: lost };
  }

  /**
   * Our own REMB towards the client (trap 2: werift sends none): a loss-based estimate from
   * what arrived since the last call (RembEstimator), at most `maxBps`.
   */
  sendRemb(maxBps: number, nowMs = performance.now()): void {
    const bps = this.estimateBitrate(maxBps, nowMs);
    for (const { track, transceiver } of this.attached.values()) {
      if (track.type !== 'video') continue;
      const ssrcs = [...this.incoming.entries()].filter(([, s]) => s.kind === 'video').map(([ssrc]) => ssrc);
      if (ssrcs.length === 0) continue;
      const dtls = transceiver.receiver.dtlsTransport;
      if (dtls?.state !== 'connected') continue;
      const { exp, mantissa } = splitBitrate(bps);
      const remb = new ReceiverEstimatedMaxBitrate({
        senderSsrc: transceiver.receiver.rtcpSsrc,
        mediaSsrc: 0,
        ssrcNum: ssrcs.length,
        brExp: exp,
        brMantissa: mantissa,
        bitrate: BigInt(bps),
        ssrcFeedbacks: ssrcs,
      });
      dtls
        .sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })])
        .catch((err: unknown) => log.debug({ err }, 'REMB not sent'));
    }
  }

  /** The REMB value to send now (bps); the estimator's inputs are the video counters. */
  estimateBitrate(maxBps: number, nowMs: number): number {
    if (!this.remb) this.remb = new RembEstimator({ maxBps });
    const video = this.stats('video');
    const last = this.rembLast;
    if (last.at > 0) {
      this.remb.update({
        bytes: video.bytes - last.bytes,
        packets: video.packets - last.packets,
        lost: video.packetsLost - last.lost,
        intervalMs: nowMs - last.at,
      });
    }
    this.rembLast = { at: nowMs, bytes: video.bytes, packets: video.packets, lost: video.packetsLost };
    return this.remb.bps;
  }

  setMuted(kind: MediaKind, muted: boolean): void {
    this.muted[kind] = muted;
    // Viewers need a clean start when video comes back.
    if (kind === 'video' && !muted) this.requestKeyframe(undefined);
  }

  isMuted(kind: MediaKind): boolean {
    return this.muted[kind];
  }

  /** PLI for one layer ('' = every video stream). */
  requestKeyframe(layer: string | undefined, force = true): void {
    const now = performance.now();
    for (const [ssrc, stream] of this.incoming) {
      if (stream.kind !== 'video') continue;
      if (layer !== undefined && layer !== '' && stream.layer !== layer) continue;
      if (!force && now - stream.lastPliAt < PLI_MIN_INTERVAL_MS) continue;
      stream.lastPliAt = now;
      this.sendPli(ssrc);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    for (const streamId of this.sources.keys()) {
      if (this.router.hasStream(streamId)) this.router.unpublish(streamId);
    }
    this.sources.clear();
    this.incoming.clear();
  }

  private publishStream(streamId: string): void {
    if (this.sources.has(streamId)) return;
    const layer = streamId === this.sessionId ? undefined : streamId.slice(this.sessionId.length + 1);
    const source = new PublicationSource((feedback) => this.onFeedback(layer ?? this.mainLayer, feedback));
    this.sources.set(streamId, source);
    this.router.publish(streamId, source);
  }

  private onFeedback(layer: string, feedback: MediaFeedback): void {
    if (feedback.type === 'keyframe-request') this.requestKeyframe(layer, false);
  }

  private watchTracks(): void {
    for (const attached of this.attached.values()) {
      for (const track of attached.transceiver.receiver.tracks) {
        if (attached.seen.has(track)) continue;
        attached.seen.add(track);
        const kind = attached.track.type;
        const { unSubscribe } = track.onReceiveRtp.subscribe((rtp) =>
          this.onRtp(kind, track.rid ?? '', attached.transceiver, rtp),
        );
        this.disposers.push(unSubscribe);
      }
    }
  }

  private onRtp(kind: MediaKind, layer: string, transceiver: RTCRtpTransceiver, rtp: WeriftRtpPacket): void {
    if (this.closed) return;
    // Trap 3: werift shares one packet object with every listener; parse our own copy.
    let bytes: Buffer;
    try {
      bytes = rtp.serialize();
    } catch {
      return;
    }
    let packet: ReturnType<typeof parseRtpPacket>;
    try {
      packet = parseRtpPacket(bytes);
    } catch (err) {
      log.debug({ err }, 'bad RTP from werift');
      return;
    }
    const counters = this.counters[kind];
    counters.packets++;
    counters.bytes += bytes.length;
    let stream = this.incoming.get(packet.ssrc);
    if (!stream) {
      const created = this.createStream(kind, layer, packet.ssrc, packet.payloadType, transceiver);
      if (!created) return;
      stream = created;
    }
    stream.bytes += bytes.length;
    try {
      stream.receive.receive(packet, performance.now());
    } catch (err) {
      log.debug({ err }, 'RTP rejected');
    }
  }

  private createStream(
    kind: MediaKind,
    layer: string,
    ssrc: number,
    payloadType: number,
    transceiver: RTCRtpTransceiver,
  ): IncomingStream | undefined {
    const codec = transceiver.codecs.find((c) => c.payloadType === payloadType);
    const name = codec ? codecName(codec.mimeType) : '';
    if (!isRtpCodec(name)) return undefined;
    const stream: IncomingStream = {
      kind,
      layer,
      lastPliAt: Number.NEGATIVE_INFINITY,
      bytes: 0,
      rate: { windowStart: performance.now(), windowBytes: 0, bps: undefined },
      receive: new RtpReceiveStream({
        codec: name as VideoCodec | AudioCodec,
        ssrc,
        // werift's receiver NACKs on its own (trap 10); a second NACK source would double them.
        nack: false,
        onFrame: (frame) => this.onFrame(kind, layer, frame),
        onKeyframeNeeded: () => this.requestKeyframe(layer, false),
      }),
    };
    this.incoming.set(ssrc, stream);
    log.debug({ sessionId: this.sessionId, kind, layer, ssrc, codec: name }, 'incoming stream');
    // The assembler starts waiting for a keyframe: ask now instead of waiting for the GOP.
    stream.lastPliAt = performance.now();
    this.sendPli(ssrc);
    return stream;
  }

  private onFrame(kind: MediaKind, layer: string, frame: MediaFrame): void {
    this.counters[kind].frames++;
    if (frame.kind === 'video' && frame.keyframe && frame.width > 0) {
      const known = this.resolutions.get(layer);
      if (!known || known.width !== frame.width || known.height !== frame.height) {
        this.resolutions.set(layer, { width: frame.width, height: frame.height });
        this.options.onMediaUpdate(this.media());
      }
    }
    if (this.muted[kind]) return;
    if (kind === 'audio') {
      for (const source of this.sources.values()) source.push(frame);
      return;
    }
    if (layer === this.mainLayer) this.sources.get(this.sessionId)?.push(frame);
    if (layer !== '') this.sources.get(layerStreamId(this.sessionId, layer))?.push(frame);
  }

  private sendPli(ssrc: number): void {
    for (const { track, transceiver } of this.attached.values()) {
      if (track.type !== 'video') continue;
      transceiver.receiver.sendRtcpPLI(ssrc).catch((err: unknown) => log.debug({ err }, 'PLI not sent'));
      return;
    }
  }
}

export function codecName(mimeType: string): string {
  return (mimeType.split('/')[1] ?? '').toLowerCase();
}

/** REMB's 6-bit exponent and 18-bit mantissa. */
export function splitBitrate(bps: number): { exp: number; mantissa: number } {
  let exp = 0;
  let mantissa = Math.max(0, Math.floor(bps));
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return { exp, mantissa };
}
