import { type RTCRtpTransceiver, RtpHeader, RtpPacket as WeriftRtpPacket } from 'werift';
import { createLogger } from '../../../common/logger.js';
import { createPacketizer, type RtpCodec } from '../rtp/codecs.js';
import { RtpStreamSender } from '../rtp/rtp-stream-sender.js';
import { MAX_RTP_PAYLOAD } from '../shared-packetizer.js';
import type { TrackOutput, TrackOutputCounters, TrackOutputFrame } from './track-output.js';

const log = createLogger('webrtc-werift-output');

/**
 * The baseline path: every packet through werift's `RTCRtpSender.sendRtp` (its header objects,
 * extensions, SRTP, send; werift answers NACKs from its 128-packet history and sends SRs).
 */
export class WeriftTrackOutput implements TrackOutput {
  private readonly sender: RtpStreamSender;
  private readonly stats: TrackOutputCounters = { packets: 0, octets: 0, retransmitted: 0, nacks: 0 };

  constructor(
    private readonly transceiver: RTCRtpTransceiver,
    codec: RtpCodec,
    clockRate: number,
    packetizationMode: 0 | 1,
  ) {
    this.sender = new RtpStreamSender({
      ssrc: transceiver.sender.ssrc,
      payloadType: transceiver.codecs[0]?.payloadType ?? 96,
      clockRate,
      // Unused: payloads come from the node's SharedPacketizer (sendPayloads).
      packetizer: createPacketizer(codec, { packetizationMode }),
      maxPayloadSize: MAX_RTP_PAYLOAD,
    });
  }

  sendFrame(frame: TrackOutputFrame, payloads: readonly Uint8Array[], sourceId: string): boolean {
    const sender = this.transceiver.sender;
    for (const packet of this.sender.sendPayloads(
      { payload: new Uint8Array(0), ...frame },
      payloads,
      sourceId,
    )) {
      this.stats.packets++;
      this.stats.octets += packet.payload.length;
      // A fresh header per packet (werift rewrites and caches it: trap 3); the payload is shared.
      const header = new RtpHeader({
        payloadType: packet.payloadType,
        marker: packet.marker,
        sequenceNumber: packet.sequenceNumber,
        timestamp: packet.timestamp,
        ssrc: packet.ssrc,
      });
      const p = packet.payload;
      sender
        .sendRtp(new WeriftRtpPacket(header, Buffer.from(p.buffer, p.byteOffset, p.byteLength)))
        .catch((err: unknown) => log.debug({ err }, 'RTP not sent'));
    }
    return true;
  }

  sendReport(): void {
    // werift's sender runs its own SR loop once it has sent RTP.
  }

  rttMs(): number | undefined {
    // werift keeps its RTT estimate (seconds) in a private field.
    const rtt = (this.transceiver.sender as unknown as { rtt?: number }).rtt;
    return rtt === undefined ? undefined : rtt * 1000;
  }

  counters(): TrackOutputCounters {
    return this.stats;
  }

  close(): void {}
}
