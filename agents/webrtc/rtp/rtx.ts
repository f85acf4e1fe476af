import { RtpParseError } from './rtp-errors.js';
import type { RtpPacket } from './rtp-packet.js';

/** RTX retransmission payload format (RFC 4588, SSRC multiplexing): 2-byte OSN + original payload. */

export interface RtxStreamOptions {
  payloadType: number;
  ssrc: number;
  initialSequenceNumber?: number;
}

/** Wraps cached original packets into RTX packets of its own stream (own SSRC and sequence). */
export class RtxSender {
  readonly payloadType: number;
  readonly ssrc: number;
  private seq: number;

  constructor(options: RtxStreamOptions) {
    this.payloadType = options.payloadType;
    this.ssrc = options.ssrc >>> 0;
    this.seq = (options.initialSequenceNumber ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
  }

  wrap(original: RtpPacket): RtpPacket {
    const packet = wrapRtx(original, this.payloadType, this.ssrc, this.seq);
    this.seq = (this.seq + 1) & 0xffff;
    return packet;
  }
}

export function wrapRtx(
  original: RtpPacket,
  payloadType: number,
  ssrc: number,
  sequenceNumber: number,
): RtpPacket {
  const payload = new Uint8Array(original.payload.length + 2);
  payload[0] = original.sequenceNumber >> 8;
  payload[1] = original.sequenceNumber & 0xff;
  payload.set(original.payload, 2);
  return {
    ...original,
    payloadType,
    ssrc,
    sequenceNumber: sequenceNumber & 0xffff,
    payload,
    paddingSize: 0,
  };
}

/**
 * Restores the original packet from an RTX packet. `aptByRtxPayloadType` maps each RTX payload
 * type to its associated (apt) payload type, as negotiated in SDP.
 */
export function unwrapRtx(
  rtx: RtpPacket,
  originalSsrc: number,
  aptByRtxPayloadType: ReadonlyMap<number, number>,
): RtpPacket {
  const apt = aptByRtxPayloadType.get(rtx.payloadType);
  if (apt === undefined) throw new RtpParseError(`no apt for RTX payload type ${rtx.payloadType}`);
  // A payload of just padding is a bandwidth probe, not a retransmission.
  if (rtx.payload.length < 3) throw new RtpParseError('RTX packet without original payload');
  return {
    ...rtx,
    payloadType: apt,
    ssrc: originalSsrc >>> 0,
    sequenceNumber: (rtx.payload[0]! << 8) | rtx.payload[1]!,
    payload: rtx.payload.subarray(2),
    paddingSize: 0,
  };
}
