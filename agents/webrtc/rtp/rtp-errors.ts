import {
  MediaSpreadError,
  type MediaSpreadErrorOptions,
  registerErrorClass,
} from '../../../common/errors.js';

/** Malformed RTP packet or RTP payload (descriptor, NAL unit, OBU…): the packet is dropped. */
export class RtpParseError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RTP_PARSE', ...options });
  }
}

/** Malformed RTCP packet: the offending packet of a compound is skipped. */
export class RtcpParseError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RTCP_PARSE', ...options });
  }
}

/** A frame cannot be packetized with the given settings (e.g. NAL larger than the MTU in mode 0). */
export class PacketizeError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'RTP_PACKETIZE', ...options });
  }
}

registerErrorClass(RtpParseError);
registerErrorClass(RtcpParseError);
registerErrorClass(PacketizeError);
