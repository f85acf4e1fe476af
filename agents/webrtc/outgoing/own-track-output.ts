import type { RTCRtpTransceiver, RtcpPacket as WeriftRtcpPacket } from 'werift';
import { createLogger } from '../../../common/logger.js';
import { buildSenderReport } from '../rtp/rtcp-builders.js';
import { RTCP_RR, RTCP_SDES, RTCP_SR } from '../rtp/rtcp-packets.js';
import { createSrtpProtector } from '../srtp/srtp-protector.js';
import { weriftSrtpKeys } from '../srtp/werift-srtp-keys.js';
import type { FanoutPacer } from './fanout-pacer.js';
import { IceSendPath } from './ice-send-path.js';
import { OutgoingRtpStream } from './outgoing-rtp-stream.js';
import type { TrackOutput, TrackOutputFrame } from './track-output.js';

const log = createLogger('webrtc-own-output');

const SDES_MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';
/** Seconds between 1900 (NTP) and 1970 (Unix). */
const NTP_EPOCH_OFFSET = 2_208_988_800;

/**
 * A subscriber's track sent on our own RTP path: werift keeps ICE, DTLS, SDP and RTCP receive;
 * we take its SRTP keys and selected ICE pair and send every packet ourselves through the
 * node's FanoutPacer. Answers NACKs from our history, sends SR + SDES and measures RTT from the
 * receiver's reports (werift's sender sees no RTP, so it sends no SR and has no RTT).
 */
export class OwnTrackOutput implements TrackOutput {
  private stream: OutgoingRtpStream | undefined;
  private boundTo: unknown;
  private readonly disposers: (() => void)[] = [];
  private lastSrCompact = -1;
  private lastSrAt = 0;
  private rtt: number | undefined;

  constructor(
    private readonly transceiver: RTCRtpTransceiver,
    private readonly pacer: FanoutPacer,
    private readonly clockRate: number,
  ) {
    const sender = transceiver.sender;
    const nack = sender.onGenericNack.subscribe((feedback) => {
      this.stream?.resend(feedback.lost);
    });
    const rtcp = sender.onRtcp.subscribe((packet: WeriftRtcpPacket) => this.onRtcp(packet));
    this.disposers.push(nack.unSubscribe, rtcp.unSubscribe);
  }

  sendFrame(frame: TrackOutputFrame, payloads: readonly Uint8Array[], sourceId: string): boolean {
    const stream = this.ready();
    if (!stream) return false;
    const ts = stream.frameTimestamp(frame.timestamp, sourceId);
    this.pacer.enqueue(stream, payloads, ts);
    return true;
  }

  rttMs(): number | undefined {
    return this.rtt;
  }

  counters() {
    return this.stream?.counters;
  }

  /** SR + SDES(CNAME) for this stream: lip sync and RTT at the receiver need it. */
  sendReport(nowMs = performance.now()): void {
    const stream = this.stream;
    const dtls = this.transceiver.sender.dtlsTransport;
    if (!stream?.hasSent || dtls?.state !== 'connected') return;
    const wallMs = performance.timeOrigin + nowMs;
    const seconds = Math.floor(wallMs / 1000);
    const ntpSeconds = (seconds + NTP_EPOCH_OFFSET) >>> 0;
    const ntpFraction = Math.floor(((wallMs - seconds * 1000) / 1000) * 2 ** 32) >>> 0;
    const sr = buildSenderReport(stream.ssrc, {
      ntpSeconds,
      ntpFraction,
      rtpTimestamp: stream.rtpTimeAt(nowMs),
      packetCount: stream.counters.packets >>> 0,
      octetCount: stream.counters.octets >>> 0,
    });
    const cname = (this.transceiver.sender as unknown as { cname?: string }).cname ?? 'mediaspread';
    const compound = Buffer.concat([sr, buildSdesCname(stream.ssrc, cname)]);
    this.lastSrCompact = (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
    this.lastSrAt = nowMs;
    // werift's SRTCP session numbers and protects RTCP (its index per SSRC).
    dtls.sendRtcp([{ serialize: () => compound } as unknown as WeriftRtcpPacket]).catch((err: unknown) => {
      log.debug({ err }, 'SR not sent');
    });
  }

  close(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
    this.stream?.close();
  }

  /** The stream once DTLS is up; rebinds keys and path after a new handshake. */
  private ready(): OutgoingRtpStream | undefined {
    const sender = this.transceiver.sender;
    const dtls = sender.dtlsTransport;
    if (dtls?.state !== 'connected') return undefined;
    const session = dtls.srtp;
    if (this.stream && this.boundTo === session) return this.stream;
    try {
      const protector = createSrtpProtector(weriftSrtpKeys(dtls));
      const sink = new IceSendPath(dtls.iceTransport.connection);
      if (this.stream) {
        this.stream.rebind(protector, sink);
      } else {
        this.stream = new OutgoingRtpStream({
          ssrc: sender.ssrc,
          payloadType: this.transceiver.codecs[0]?.payloadType ?? 96,
          clockRate: this.clockRate,
          protector,
          sink,
          extensions: this.extensions(),
          rtx: this.rtx(),
        });
      }
      this.boundTo = session;
      return this.stream;
    } catch (err) {
      log.warn({ err }, 'own RTP path not available');
      return undefined;
    }
  }

  private extensions(): { id: number; data: Uint8Array }[] {
    const mid = this.transceiver.mid;
    const ext = this.transceiver.headerExtensions.find((e) => e.uri === SDES_MID_URI);
    return mid && ext ? [{ id: ext.id, data: Buffer.from(mid) }] : [];
  }

  private rtx(): { ssrc: number; payloadType: number } | undefined {
    const sender = this.transceiver.sender as unknown as { rtxPayloadType?: number; rtxSsrc: number };
    return sender.rtxPayloadType === undefined
      ? undefined
      : { ssrc: sender.rtxSsrc, payloadType: sender.rtxPayloadType };
  }

  private onRtcp(packet: WeriftRtcpPacket): void {
    if (packet.type !== RTCP_RR && packet.type !== RTCP_SR) return;
    const ssrc = this.stream?.ssrc;
    if (ssrc === undefined || this.lastSrCompact < 0) return;
    const reports = (packet as { reports?: { ssrc: number; lsr: number; dlsr: number }[] }).reports ?? [];
    for (const report of reports) {
      if (report.ssrc !== ssrc || report.lsr !== this.lastSrCompact) continue;
      // RFC 3550 §6.4.1: RTT = arrival − LSR − DLSR; in ms from our own SR send time.
      const rtt = performance.now() - this.lastSrAt - (report.dlsr / 65536) * 1000;
      if (rtt >= 0) this.rtt = this.rtt === undefined ? rtt : 0.85 * this.rtt + 0.15 * rtt;
    }
  }
}

function buildSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname.slice(0, 255));
  // chunk: SSRC, CNAME item (type 1, length, text), null item, padded to 32 bits.
  const chunk = 4 + 2 + text.length + 1;
  const padded = Math.ceil(chunk / 4) * 4;
  const buf = Buffer.alloc(4 + padded);
  buf[0] = 0x81;
  buf[1] = RTCP_SDES;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(ssrc >>> 0, 4);
  buf[8] = 1;
  buf[9] = text.length;
  text.copy(buf, 10);
  return buf;
}
