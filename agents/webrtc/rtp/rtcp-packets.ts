import { RtcpParseError } from './rtp-errors.js';
import { readU16, readU32 } from './rtp-packet.js';

/**
 * The RTCP we act on (RFC 3550 SR/RR, RFC 4585 NACK/PLI, RFC 5104 FIR, REMB draft). Each packet
 * of a compound is parsed strictly inside its own length (trap 5 of werift reads to the end of
 * the compound and decodes junk NACKs): a bad packet is reported and skipped, its valid
 * siblings still parse.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, 0–255 (/256). */
  fractionLost: number;
  /** Cumulative packets lost (signed 24-bit). */
  packetsLost: number;
  highestSequence: number;
  jitter: number;
  lastSr: number;
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface GenericNack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  /** Lost sequence numbers (16-bit), in FCI order. */
  lost: number[];
}

export interface PictureLossIndication {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

export interface FirEntry {
  ssrc: number;
  sequence: number;
}

export interface FullIntraRequest {
  type: 'fir';
  senderSsrc: number;
  mediaSsrc: number;
  entries: FirEntry[];
}

export interface ReceiverEstimatedMaxBitrate {
  type: 'remb';
  senderSsrc: number;
  /** Bits per second. */
  bitrate: number;
  ssrcs: number[];
}

/** Anything else (SDES, BYE, APP, transport-cc…), kept raw. */
export interface OtherRtcpPacket {
  type: 'other';
  packetType: number;
  /** Report count / feedback message type (5 low bits of the first byte). */
  count: number;
  /** The whole packet including its header. */
  data: Uint8Array;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | ReceiverEstimatedMaxBitrate
  | OtherRtcpPacket;

export interface RtcpCompound {
  packets: RtcpPacket[];
  /** One error per packet that was rejected. */
  errors: RtcpParseError[];
}

/** Max PID/BLP pairs accepted in one NACK (more cannot fit an MTU anyway). */
const MAX_NACK_FCI = 512;

export function parseRtcpCompound(buf: Uint8Array): RtcpCompound {
  const packets: RtcpPacket[] = [];
  const errors: RtcpParseError[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < 4) {
      errors.push(new RtcpParseError(`trailing ${buf.length - offset} bytes after the last RTCP packet`));
      break;
    }
    const b0 = buf[offset]!;
    if (b0 >> 6 !== 2) {
      // Without a valid header the length cannot be trusted: nothing after it is parseable.
      errors.push(new RtcpParseError(`RTCP version ${b0 >> 6} is not 2`));
      break;
    }
    const size = (readU16(buf, offset + 2) + 1) * 4;
    if (offset + size > buf.length) {
      errors.push(new RtcpParseError(`RTCP packet length ${size} exceeds the compound`));
      break;
    }
    try {
      packets.push(parseRtcpPacket(buf.subarray(offset, offset + size)));
    } catch (err) {
      if (!(err instanceof RtcpParseError)) throw err;
      errors.push(err);
    }
    offset += size;
  }
  return { packets, errors };
}

/** Parses one RTCP packet whose buffer is exactly its length. */
export function parseRtcpPacket(pkt: Uint8Array): RtcpPacket {
  if (pkt.length < 4 || pkt.length % 4 !== 0)
    throw new RtcpParseError('RTCP packet size is not a word multiple');
  const b0 = pkt[0]!;
  if (b0 >> 6 !== 2) throw new RtcpParseError(`RTCP version ${b0 >> 6} is not 2`);
  const count = b0 & 0x1f;
  const packetType = pkt[1]!;
  if ((readU16(pkt, 2) + 1) * 4 !== pkt.length) throw new RtcpParseError('RTCP length field mismatch');
  let end = pkt.length;
  if (b0 & 0x20) {
    const pad = pkt[end - 1]!;
    if (pad === 0 || pad > end - 4) throw new RtcpParseError(`RTCP padding ${pad} is invalid`);
    end -= pad;
  }
  switch (packetType) {
    case RTCP_SR:
      return parseSenderReport(pkt, count, end);
    case RTCP_RR:
      return parseReceiverReport(pkt, count, end);
    case RTCP_RTPFB:
      if (count === 1) return parseNack(pkt, end);
      break;
    case RTCP_PSFB:
      if (count === 1) return parsePli(pkt, end);
      if (count === 4) return parseFir(pkt, end);
      if (count === 15 && end >= 16 && isRembTag(pkt)) return parseRemb(pkt, end);
      break;
    default:
      if (packetType < 192 || packetType > 223) {
        throw new RtcpParseError(`RTCP packet type ${packetType} out of range`);
      }
  }
  return { type: 'other', packetType, count, data: pkt };
}

function parseReportBlocks(pkt: Uint8Array, start: number, count: number, end: number): ReportBlock[] {
  if (start + count * 24 > end) throw new RtcpParseError(`RTCP report count ${count} exceeds the packet`);
  const reports: ReportBlock[] = [];
  for (let i = 0, o = start; i < count; i++, o += 24) {
    const lostRaw = (pkt[o + 5]! << 16) | (pkt[o + 6]! << 8) | pkt[o + 7]!;
    reports.push({
      ssrc: readU32(pkt, o),
      fractionLost: pkt[o + 4]!,
      packetsLost: lostRaw & 0x800000 ? lostRaw - 0x1000000 : lostRaw,
      highestSequence: readU32(pkt, o + 8),
      jitter: readU32(pkt, o + 12),
      lastSr: readU32(pkt, o + 16),
      delaySinceLastSr: readU32(pkt, o + 20),
    });
  }
  return reports;
}

function parseSenderReport(pkt: Uint8Array, count: number, end: number): SenderReport {
  if (end < 28) throw new RtcpParseError('RTCP SR too short');
  return {
    type: 'sr',
    ssrc: readU32(pkt, 4),
    ntpSeconds: readU32(pkt, 8),
    ntpFraction: readU32(pkt, 12),
    rtpTimestamp: readU32(pkt, 16),
    packetCount: readU32(pkt, 20),
    octetCount: readU32(pkt, 24),
    reports: parseReportBlocks(pkt, 28, count, end),
  };
}

function parseReceiverReport(pkt: Uint8Array, count: number, end: number): ReceiverReport {
  if (end < 8) throw new RtcpParseError('RTCP RR too short');
  return { type: 'rr', ssrc: readU32(pkt, 4), reports: parseReportBlocks(pkt, 8, count, end) };
}

function parseNack(pkt: Uint8Array, end: number): GenericNack {
  // Header + sender/media SSRC + at least one PID/BLP pair; nothing past `end` is read.
  if (end < 16) throw new RtcpParseError('RTCP NACK without FCI');
  const items = (end - 12) / 4;
  if (!Number.isInteger(items)) throw new RtcpParseError('RTCP NACK FCI is not a word multiple');
  if (items > MAX_NACK_FCI) throw new RtcpParseError('RTCP NACK too long');
  const lost: number[] = [];
  for (let o = 12; o < end; o += 4) {
    const pid = readU16(pkt, o);
    const blp = readU16(pkt, o + 2);
    lost.push(pid);
    for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) lost.push((pid + bit + 1) & 0xffff);
  }
  return { type: 'nack', senderSsrc: readU32(pkt, 4), mediaSsrc: readU32(pkt, 8), lost };
}

function parsePli(pkt: Uint8Array, end: number): PictureLossIndication {
  if (end !== 12) throw new RtcpParseError(`RTCP PLI has ${end} bytes, expected 12`);
  return { type: 'pli', senderSsrc: readU32(pkt, 4), mediaSsrc: readU32(pkt, 8) };
}

function parseFir(pkt: Uint8Array, end: number): FullIntraRequest {
  if (end < 20 || (end - 12) % 8 !== 0) throw new RtcpParseError('RTCP FIR FCI size is invalid');
  const entries: FirEntry[] = [];
  for (let o = 12; o < end; o += 8) entries.push({ ssrc: readU32(pkt, o), sequence: pkt[o + 4]! });
  return { type: 'fir', senderSsrc: readU32(pkt, 4), mediaSsrc: readU32(pkt, 8), entries };
}

function isRembTag(pkt: Uint8Array): boolean {
  return pkt[12] === 0x52 && pkt[13] === 0x45 && pkt[14] === 0x4d && pkt[15] === 0x42; // 'REMB'
}

function parseRemb(pkt: Uint8Array, end: number): ReceiverEstimatedMaxBitrate {
  if (end < 20) throw new RtcpParseError('RTCP REMB too short');
  const numSsrc = pkt[16]!;
  if (20 + numSsrc * 4 !== end) throw new RtcpParseError(`RTCP REMB SSRC count ${numSsrc} does not match`);
  const exp = pkt[17]! >> 2;
  const mantissa = ((pkt[17]! & 0x03) << 16) | readU16(pkt, 18);
  const ssrcs: number[] = [];
  for (let i = 0; i < numSsrc; i++) ssrcs.push(readU32(pkt, 20 + i * 4));
  return { type: 'remb', senderSsrc: readU32(pkt, 4), bitrate: mantissa * 2 ** exp, ssrcs };
}
