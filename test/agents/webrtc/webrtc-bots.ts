import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  useNACK,
  usePLI,
  useSdesMid,
  useSdesRTPStreamId,
  RtpPacket as WeriftRtpPacket,
} from 'werift';
import { createPacketizer, rtpClockRate } from '../../../agents/webrtc/rtp/codecs.js';
import { parseRtpPacket, serializeRtpPacket } from '../../../agents/webrtc/rtp/rtp-packet.js';
import { RtpReceiveStream } from '../../../agents/webrtc/rtp/rtp-receive-stream.js';
import { RtpStreamSender } from '../../../agents/webrtc/rtp/rtp-stream-sender.js';
import type { MediaSink } from '../../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../../common/media/media-feedback.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import type { RpcBus } from '../../../common/rpc/rpc-bus.js';
import type { SessionProgress, TransportProgress } from '../../../conference/protocol.js';
import { readIvf } from './ivf.js';

/** Client bots and a fake conference controller for webrtc node tests (werift, no browser). */

/** A media codec the bots send and receive. */
export type BotCodec = 'vp8' | 'h264' | 'opus';
/** What a bot offers: 'rtx' right after a video codec gets apt = that codec's payload type. */
export type BotOffered = BotCodec | 'rtx';

function codecParams(codec: BotOffered): RTCRtpCodecParameters {
  switch (codec) {
    case 'vp8':
      return new RTCRtpCodecParameters({
        mimeType: 'video/VP8',
        clockRate: 90000,
        rtcpFeedback: [useNACK(), usePLI()],
      });
    case 'h264':
      return new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        rtcpFeedback: [useNACK(), usePLI()],
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      });
    case 'opus':
      return new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });
    case 'rtx':
      return new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000 });
  }
}

/** A client peer connection as the OWT SDK drives it: it always offers. */
export class BotPeer {
  readonly pc: RTCPeerConnection;
  readonly received: MediaFrame[] = [];
  /** Called per received frame (benchmarks); `received` keeps at most 10,000 frames. */
  onFrame: ((frame: MediaFrame) => void) | undefined;
  receivedPackets = 0;
  plisReceived = 0;
  private readonly streams = new Map<number, RtpReceiveStream>();

  /**
   * `dropIncomingPercent` / `dropOutgoingPercent`: SRTP/SRTCP datagrams the bot drops on arrival
   * / before sending (loss tests).
   */
  constructor(
    video: BotOffered[] = ['vp8'],
    audio: BotCodec[] = ['opus'],
    simulcast = false,
    options: { dropIncomingPercent?: number; dropOutgoingPercent?: number } = {},
  ) {
    const drop = options.dropIncomingPercent ?? 0;
    const dropOut = options.dropOutgoingPercent ?? 0;
    this.pc = new RTCPeerConnection({
      // werift keeps a datagram when inbound/outboundPacketLoss/100 >= Math.random(): keep ratios.
      ...(drop > 0 || dropOut > 0
        ? {
            debug: {
              ...(drop > 0 ? { inboundPacketLoss: 100 - drop } : {}),
              ...(dropOut > 0 ? { outboundPacketLoss: 100 - dropOut } : {}),
            },
          }
        : {}),
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
      // As Chrome does with the SDK; werift also leaks the sockets of bundled-away transports.
      bundlePolicy: 'max-bundle',
      codecs: { video: video.map(codecParams), audio: audio.map(codecParams) },
      headerExtensions: {
        video: simulcast ? [useSdesMid(), useSdesRTPStreamId()] : [useSdesMid()],
        audio: [useSdesMid()],
      },
    });
  }

  addSendonly(kind: 'audio' | 'video'): RTCRtpTransceiver {
    const t = this.pc.addTransceiver(kind, { direction: 'sendonly' });
    t.sender.onPictureLossIndication.subscribe(() => {
      this.plisReceived++;
    });
    return t;
  }

  /** A sendonly video m-line offering rid layers (werift cannot send them: SimulcastPump does). */
  addSimulcastSendonly(rids: string[]): RTCRtpTransceiver {
    return this.pc.addTransceiver('video', {
      direction: 'sendonly',
      simulcast: rids.map((rid) => ({ rid, direction: 'send' as const })),
    });
  }

  addRecvonly(kind: 'audio' | 'video'): RTCRtpTransceiver {
    const t = this.pc.addTransceiver(kind, { direction: 'recvonly' });
    t.onTrack.subscribe((track) => this.receiveTrack(track, t));
    return t;
  }

  /** Offer with every local candidate inside (no trickle needed on loopback). */
  async offer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await waitFor(() => this.pc.iceGatheringState === 'complete', 5000, 'bot gathering');
    return this.pc.localDescription!.sdp;
  }

  async answer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  async close(): Promise<void> {
    await this.pc.close();
  }

  /** Packets our reorder buffer gave up on, and packets it released, over every stream. */
  packetStats(): { lost: number; received: number } {
    let lost = 0;
    let received = 0;
    for (const stream of this.streams.values()) {
      lost += stream.stats.reorder.lost;
      received += stream.stats.reorder.released;
    }
    return { lost, received };
  }

  private receiveTrack(track: MediaStreamTrack, t: RTCRtpTransceiver): void {
    track.onReceiveRtp.subscribe((rtp) => {
      this.receivedPackets++;
      const packet = parseRtpPacket(rtp.serialize());
      let stream = this.streams.get(packet.ssrc);
      if (!stream) {
        const codec = t.codecs.find((c) => c.payloadType === packet.payloadType);
        const name = (codec?.mimeType.split('/')[1] ?? '').toLowerCase() as BotCodec;
        stream = new RtpReceiveStream({
          codec: name,
          ssrc: packet.ssrc,
          nack: false,
          // Like a browser: a frame lost for good asks the sender for a keyframe.
          onKeyframeNeeded: () => {
            void t.receiver.sendRtcpPLI(packet.ssrc);
          },
          onFrame: (frame) => {
            if (this.received.length < 10_000) this.received.push(frame);
            this.onFrame?.(frame);
          },
        });
        this.streams.set(packet.ssrc, stream);
      }
      stream.receive(packet, performance.now());
      stream.poll(performance.now());
    });
  }
}

/** Sends encoded frames through a bot's sender with our packetizer, paced like a camera. */
export class FramePump {
  private timer: NodeJS.Timeout | undefined;
  private index = 0;
  sent = 0;
  private readonly sender: RtpStreamSender;

  constructor(
    private readonly transceiver: RTCRtpTransceiver,
    codec: BotCodec,
    private readonly frames: Uint8Array[],
    private readonly ticksPerFrame: number,
  ) {
    this.sender = new RtpStreamSender({
      ssrc: transceiver.sender.ssrc,
      payloadType: 96,
      clockRate: rtpClockRate(codec),
      packetizer: createPacketizer(codec),
    });
  }

  /** Loops over the frames (restarting at frame 0, a keyframe) until stop(). */
  start(intervalMs = 33): void {
    this.timer = setInterval(() => this.sendNext(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** performance.now() of the last send of each clip frame (for latency measurements). */
  readonly lastSentAt: number[] = [];

  private sendNext(): void {
    const clipIndex = this.index % this.frames.length;
    const payload = this.frames[clipIndex]!;
    this.lastSentAt[clipIndex] = performance.now();
    const timestamp = this.sent * this.ticksPerFrame;
    this.index++;
    this.sent++;
    for (const packet of this.sender.packetizeFrame({ payload, timestamp })) {
      const bytes = serializeRtpPacket(packet);
      void this.transceiver.sender.sendRtp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  }
}

/**
 * Sends rid layers the way a browser does (own SSRC per layer, mid + rid header extensions)
 * straight through the transceiver's DTLS transport, since werift's sender cannot (trap 9).
 */
export class SimulcastPump {
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  private readonly layers: { rid: string; frames: Uint8Array[]; sender: RtpStreamSender }[];

  constructor(
    private readonly transceiver: RTCRtpTransceiver,
    layers: { rid: string; frames: Uint8Array[] }[],
  ) {
    this.layers = layers.map((l, i) => ({
      ...l,
      sender: new RtpStreamSender({
        ssrc: 0x1000 + i,
        payloadType: 96,
        clockRate: 90000,
        packetizer: createPacketizer('vp8'),
      }),
    }));
  }

  start(intervalMs = 33): void {
    this.timer = setInterval(() => this.sendNext(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sendNext(): void {
    const t = this.transceiver;
    const dtls = t.sender.dtlsTransport;
    const pt = t.codecs[0]?.payloadType;
    if (dtls?.state !== 'connected' || pt === undefined) return;
    const midId = t.headerExtensions.find((e) => e.uri.endsWith('sdes:mid'))?.id;
    const ridId = t.headerExtensions.find((e) => e.uri.endsWith('sdes:rtp-stream-id'))?.id;
    if (midId === undefined || ridId === undefined || !t.mid) return;
    for (const layer of this.layers) {
      const payload = layer.frames[this.sent % layer.frames.length]!;
      for (const packet of layer.sender.packetizeFrame({ payload, timestamp: this.sent * 6000 })) {
        const bytes = serializeRtpPacket({
          ...packet,
          payloadType: pt,
          extensionProfile: 0xbede,
          extensions: [
            { id: midId, data: Buffer.from(t.mid) },
            { id: ridId, data: Buffer.from(layer.rid) },
          ],
        });
        const werift = WeriftRtpPacket.deSerialize(Buffer.from(bytes));
        void dtls.sendRtp(werift.payload, werift.header);
      }
    }
    this.sent++;
  }
}

/** Collects what a webrtc node reports to its controller (the conference's role in tests). */
export class FakeController {
  readonly transport: { transportId: string; progress: TransportProgress }[] = [];
  readonly session: { sessionId: string; progress: SessionProgress }[] = [];

  async serve(bus: RpcBus, id: string) {
    return bus.serve(id, {
      onTransportProgress: (_room: unknown, transportId: unknown, progress: unknown) => {
        this.transport.push({ transportId: String(transportId), progress: progress as TransportProgress });
      },
      onSessionProgress: (_room: unknown, sessionId: unknown, progress: unknown) => {
        this.session.push({ sessionId: String(sessionId), progress: progress as SessionProgress });
      },
    });
  }

  async answerFor(transportId: string, after: number, timeoutMs = 10_000): Promise<string> {
    let sdp: string | undefined;
    await waitFor(
      () => {
        const found = this.transport
          .slice(after)
          .find((e) => e.transportId === transportId && e.progress.type === 'answer');
        if (found && found.progress.type === 'answer') sdp = found.progress.sdp;
        return sdp !== undefined;
      },
      timeoutMs,
      `answer for ${transportId}`,
    );
    return sdp!;
  }

  sessionState(sessionId: string, type: SessionProgress['type']): SessionProgress | undefined {
    return this.session.find((e) => e.sessionId === sessionId && e.progress.type === type)?.progress;
  }
}

/** Records frames of the stream it is linked to; can send feedback to the source. */
export class RecordingSink implements MediaSink {
  readonly type = 'test';
  readonly frames: MediaFrame[] = [];
  private feedback: ((f: MediaFeedback) => void) | undefined;
  onLinkup(_streamId: string, feedback: (f: MediaFeedback) => void): void {
    this.feedback = feedback;
  }
  onCutoff(): void {
    this.feedback = undefined;
  }
  onFrame(frame: MediaFrame): void {
    if (this.frames.length < 10_000) this.frames.push(frame);
  }
  ask(feedback: MediaFeedback): void {
    this.feedback?.(feedback);
  }
  close(): void {}
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface EncodedClip {
  frames: Uint8Array[];
  width: number;
  height: number;
}

/** 2 s of testsrc (320x240 unless asked)@15 with a keyframe every 15 frames (libvpx). */
export function encodeVp8Clip(size = '320x240'): EncodedClip {
  const dir = mkdtempSync(join(tmpdir(), 'ms-webrtc-'));
  try {
    const file = join(dir, 'clip.ivf');
    execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc=size=${size}:rate=15`,
        '-t',
        '2',
        '-c:v',
        'libvpx',
        '-g',
        '15',
        '-b:v',
        '400k',
        '-deadline',
        'realtime',
        '-auto-alt-ref',
        '0',
        '-f',
        'ivf',
        file,
      ],
      { timeout: 30_000 },
    );
    const ivf = readIvf(file);
    return { frames: ivf.frames.map((f) => f.payload), width: ivf.width, height: ivf.height };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 2 s of testsrc 320x240@15, libx264 constrained baseline, split into access units (AUD). */
export function encodeH264Clip(): EncodedClip {
  const dir = mkdtempSync(join(tmpdir(), 'ms-webrtc-'));
  try {
    const file = join(dir, 'clip.h264');
    execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=320x240:rate=15',
        '-t',
        '2',
        '-c:v',
        'libx264',
        '-profile:v',
        'baseline',
        '-pix_fmt',
        'yuv420p',
        '-g',
        '15',
        '-bf',
        '0',
        '-x264-params',
        'aud=1:repeat-headers=1',
        '-f',
        'h264',
        file,
      ],
      { timeout: 30_000 },
    );
    return { frames: splitAccessUnits(readFileSync(file)), width: 320, height: 240 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Annex-B stream → access units, cut at each access unit delimiter (NAL type 9). */
function splitAccessUnits(stream: Buffer): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 4 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1 && (stream[i + 3]! & 0x1f) === 9) {
      starts.push(i > 0 && stream[i - 1] === 0 ? i - 1 : i);
    }
  }
  const units: Uint8Array[] = [];
  for (let k = 0; k < starts.length; k++) {
    units.push(
      new Uint8Array(stream.subarray(starts[k], k + 1 < starts.length ? starts[k + 1] : stream.length)),
    );
  }
  return units;
}
