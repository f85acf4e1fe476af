import { RtpParseError } from './rtp-errors.js';

/**
 * RTP packets (RFC 3550) with RFC 8285 header extensions. Parsing never reads out of bounds:
 * every malformed input raises RtpParseError. `payload` is a view into the input buffer
 * (no copy) — clone it if the buffer is reused.
 */

export interface RtpHeaderExtension {
  /** 1–14 (one-byte form) or 1–255 (two-byte form); 0 for the raw block of another profile. */
  id: number;
  data: Uint8Array;
}

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: readonly number[];
  /**
   * 0 when the packet has no extension block; 0xbede (one-byte) or 0x1000 (two-byte) for
   * RFC 8285 blocks; any other value keeps the block raw as a single extension with id 0.
   */
  extensionProfile: number;
  extensions: readonly RtpHeaderExtension[];
  payload: Uint8Array;
  /** Padding bytes to append when serializing (0 = none). */
  paddingSize: number;
}

export const RTP_HEADER_SIZE = 12;
export const ONE_BYTE_PROFILE = 0xbede;
export const TWO_BYTE_PROFILE = 0x1000;

const NO_CSRCS: readonly number[] = Object.freeze([]);
const NO_EXTENSIONS: readonly RtpHeaderExtension[] = Object.freeze([]);

/** True when the first byte looks like RTP/RTCP version 2 and the type is RTP, not RTCP (RFC 5761). */
export function isRtpPacket(buf: Uint8Array): boolean {
  if (buf.length < RTP_HEADER_SIZE || buf[0]! >> 6 !== 2) return false;
  const pt = buf[1]! & 0x7f;
  return pt < 64 || pt > 95;
}

export function parseRtpPacket(buf: Uint8Array): RtpPacket {
  const len = buf.length;
  if (len < RTP_HEADER_SIZE) throw new RtpParseError(`RTP packet too short (${len} bytes)`);
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) throw new RtpParseError(`RTP version ${b0 >> 6} is not 2`);
  const b1 = buf[1]!;
  const cc = b0 & 0x0f;
  let offset = RTP_HEADER_SIZE + cc * 4;
  if (offset > len) throw new RtpParseError('RTP CSRC list exceeds the packet');
  let csrcs = NO_CSRCS;
  if (cc > 0) {
    const list: number[] = new Array(cc);
    for (let i = 0; i < cc; i++) list[i] = readU32(buf, RTP_HEADER_SIZE + i * 4);
    csrcs = list;
  }
  let extensionProfile = 0;
  let extensions = NO_EXTENSIONS;
  if (b0 & 0x10) {
    if (offset + 4 > len) throw new RtpParseError('RTP extension header exceeds the packet');
    extensionProfile = (buf[offset]! << 8) | buf[offset + 1]!;
    const extLen = ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
    const start = offset + 4;
    const end = start + extLen;
    if (end > len) throw new RtpParseError('RTP extension block exceeds the packet');
    extensions = parseExtensions(buf, start, end, extensionProfile);
    offset = end;
  }
  let payloadEnd = len;
  let paddingSize = 0;
  if (b0 & 0x20) {
    paddingSize = buf[len - 1]!;
    if (paddingSize === 0 || paddingSize > len - offset) {
      throw new RtpParseError(`RTP padding size ${paddingSize} is invalid`);
    }
    payloadEnd = len - paddingSize;
  }
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: (buf[2]! << 8) | buf[3]!,
    timestamp: readU32(buf, 4),
    ssrc: readU32(buf, 8),
    csrcs,
    extensionProfile,
    extensions,
    payload: buf.subarray(offset, payloadEnd),
    paddingSize,
  };
}

function parseExtensions(buf: Uint8Array, start: number, end: number, profile: number): RtpHeaderExtension[] {
  const out: RtpHeaderExtension[] = [];
  if (profile === ONE_BYTE_PROFILE) {
    let i = start;
    while (i < end) {
      const b = buf[i]!;
      if (b === 0) {
        i++; // padding between elements
        continue;
      }
      const id = b >> 4;
      if (id === 15) break; // reserved: stop parsing (RFC 8285 §4.2)
      const l = (b & 0x0f) + 1;
      if (i + 1 + l > end) throw new RtpParseError(`one-byte header extension ${id} exceeds its block`);
      out.push({ id, data: buf.subarray(i + 1, i + 1 + l) });
      i += 1 + l;
    }
  } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
    let i = start;
    while (i < end) {
      const id = buf[i]!;
      if (id === 0) {
        i++;
        continue;
      }
      if (i + 2 > end) throw new RtpParseError('two-byte header extension truncated');
      const l = buf[i + 1]!;
      if (i + 2 + l > end) throw new RtpParseError(`two-byte header extension ${id} exceeds its block`);
      out.push({ id, data: buf.subarray(i + 2, i + 2 + l) });
      i += 2 + l;
    }
  } else {
    out.push({ id: 0, data: buf.subarray(start, end) });
  }
  return out;
}

/** Finds a header extension by id (undefined when absent). */
export function getHeaderExtension(packet: RtpPacket, id: number): Uint8Array | undefined {
  for (const ext of packet.extensions) if (ext.id === id) return ext.data;
  return undefined;
}

function extensionBlockProfile(packet: RtpPacket): number {
  if (packet.extensions.length === 0) return 0;
  const p = packet.extensionProfile;
  if (p !== 0 && p !== ONE_BYTE_PROFILE && (p & 0xfff0) !== TWO_BYTE_PROFILE) return p;
  if (p === ONE_BYTE_PROFILE || p === 0) {
    let fits = true;
    for (const e of packet.extensions) {
      if (e.id < 1 || e.id > 14 || e.data.length < 1 || e.data.length > 16) fits = false;
    }
    if (fits) return ONE_BYTE_PROFILE;
  }
  return TWO_BYTE_PROFILE;
}

function extensionBlockSize(packet: RtpPacket, profile: number): number {
  if (profile === 0) return 0;
  let n = 0;
  if (profile === ONE_BYTE_PROFILE) for (const e of packet.extensions) n += 1 + e.data.length;
  else if (profile === TWO_BYTE_PROFILE) for (const e of packet.extensions) n += 2 + e.data.length;
  else for (const e of packet.extensions) n += e.data.length;
  return 4 + ((n + 3) & ~3);
}

/** Bytes the serialized packet takes. */
export function rtpPacketSize(packet: RtpPacket): number {
  const profile = extensionBlockProfile(packet);
  return (
    RTP_HEADER_SIZE +
    packet.csrcs.length * 4 +
    extensionBlockSize(packet, profile) +
    packet.payload.length +
    packet.paddingSize
  );
}

export function serializeRtpPacket(packet: RtpPacket): Uint8Array {
  const out = new Uint8Array(rtpPacketSize(packet));
  writeRtpPacket(packet, out, 0);
  return out;
}

/** Writes the packet into `out` at `offset` and returns the bytes written. */
export function writeRtpPacket(packet: RtpPacket, out: Uint8Array, offset: number): number {
  const cc = packet.csrcs.length;
  if (cc > 15) throw new RtpParseError('more than 15 CSRCs');
  if (packet.paddingSize > 255) throw new RtpParseError('padding larger than 255 bytes');
  const profile = extensionBlockProfile(packet);
  const total = rtpPacketSize(packet);
  if (offset + total > out.length) throw new RtpParseError('output buffer too small for the RTP packet');
  out[offset] = 0x80 | (packet.paddingSize > 0 ? 0x20 : 0) | (profile !== 0 ? 0x10 : 0) | cc;
  out[offset + 1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out[offset + 2] = (packet.sequenceNumber >> 8) & 0xff;
  out[offset + 3] = packet.sequenceNumber & 0xff;
  writeU32(out, offset + 4, packet.timestamp);
  writeU32(out, offset + 8, packet.ssrc);
  let p = offset + RTP_HEADER_SIZE;
  for (let i = 0; i < cc; i++, p += 4) writeU32(out, p, packet.csrcs[i]!);
  if (profile !== 0) {
    const blockSize = extensionBlockSize(packet, profile);
    out[p] = profile >> 8;
    out[p + 1] = profile & 0xff;
    out[p + 2] = ((blockSize - 4) / 4) >> 8;
    out[p + 3] = ((blockSize - 4) / 4) & 0xff;
    let q = p + 4;
    for (const e of packet.extensions) {
      if (profile === ONE_BYTE_PROFILE) {
        out[q++] = (e.id << 4) | (e.data.length - 1);
      } else if (profile === TWO_BYTE_PROFILE) {
        if (e.id < 1 || e.id > 255 || e.data.length > 255) {
          throw new RtpParseError(`header extension ${e.id} cannot be encoded`);
        }
        out[q++] = e.id;
        out[q++] = e.data.length;
      }
      out.set(e.data, q);
      q += e.data.length;
    }
    const blockEnd = p + blockSize;
    while (q < blockEnd) out[q++] = 0;
    p = blockEnd;
  }
  out.set(packet.payload, p);
  p += packet.payload.length;
  if (packet.paddingSize > 0) {
    out.fill(0, p, p + packet.paddingSize - 1);
    out[p + packet.paddingSize - 1] = packet.paddingSize;
    p += packet.paddingSize;
  }
  return p - offset;
}

/** A copy whose payload no longer aliases the original buffer (trap 3: never share packets). */
export function cloneRtpPacket(packet: RtpPacket): RtpPacket {
  return {
    ...packet,
    csrcs: packet.csrcs.length ? packet.csrcs.slice() : NO_CSRCS,
    extensions: packet.extensions.length
      ? packet.extensions.map((e) => ({ id: e.id, data: e.data.slice() }))
      : NO_EXTENSIONS,
    payload: packet.payload.slice(),
  };
}

export function readU32(buf: Uint8Array, o: number): number {
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

export function writeU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = (v >>> 24) & 0xff;
  buf[o + 1] = (v >>> 16) & 0xff;
  buf[o + 2] = (v >>> 8) & 0xff;
  buf[o + 3] = v & 0xff;
}

export function readU16(buf: Uint8Array, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}

export function writeU16(buf: Uint8Array, o: number, v: number): void {
  buf[o] = (v >> 8) & 0xff;
  buf[o + 1] = v & 0xff;
}
