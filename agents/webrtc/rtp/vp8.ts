import { type AssembledFrame, concatBytes, type Depacketizer } from './depacketizer.js';
import { balancedChunks, type Packetizer } from './packetizer.js';
import { RtpParseError } from './rtp-errors.js';

/** VP8 over RTP (RFC 7741). */

export interface Vp8Descriptor {
  /** Bytes of payload descriptor before the VP8 data. */
  headerSize: number;
  /** S bit: first packet of a partition. */
  start: boolean;
  partitionId: number;
  /** 7/15-bit picture id, -1 when absent. */
  pictureId: number;
}

export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor {
  const len = payload.length;
  if (len < 2) throw new RtpParseError('VP8 payload too short');
  const b0 = payload[0]!;
  let o = 1;
  let pictureId = -1;
  if (b0 & 0x80) {
    const x = payload[o++]!;
    if (x & 0x80) {
      if (o >= len) throw new RtpParseError('VP8 picture id truncated');
      const p = payload[o++]!;
      if (p & 0x80) {
        if (o >= len) throw new RtpParseError('VP8 picture id truncated');
        pictureId = ((p & 0x7f) << 8) | payload[o++]!;
      } else pictureId = p;
    }
    if (x & 0x40) o++; // TL0PICIDX
    if (x & 0x30) o++; // TID/Y/KEYIDX
  }
  if (o >= len) throw new RtpParseError('VP8 payload has no data after its descriptor');
  return { headerSize: o, start: (b0 & 0x10) !== 0, partitionId: b0 & 0x07, pictureId };
}

export class Vp8Depacketizer implements Depacketizer {
  readonly kind = 'video';
  readonly codec = 'vp8';
  readonly singlePacketFrames = false;
  readonly needsKeyframeAfterLoss = true;

  isFrameStart(payload: Uint8Array): boolean {
    const d = parseVp8Descriptor(payload);
    return d.start && d.partitionId === 0;
  }

  assemble(payloads: readonly Uint8Array[]): AssembledFrame | null {
    const parts: Uint8Array[] = new Array(payloads.length);
    let total = 0;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i]!;
      const d = parseVp8Descriptor(p);
      if (i === 0 && !(d.start && d.partitionId === 0)) return null;
      const part = p.subarray(d.headerSize);
      parts[i] = part;
      total += part.length;
    }
    const frame = concatBytes(parts, total);
    const keyframe = (frame[0]! & 0x01) === 0;
    let width = 0;
    let height = 0;
    // Key frame header: 3-byte tag, start code 9d 01 2a, 14-bit width and height (+2 scale bits).
    if (keyframe) {
      if (frame.length < 10 || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) {
        throw new RtpParseError('VP8 key frame without start code');
      }
      width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
      height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
    }
    return { payload: frame, keyframe, width, height };
  }
}

/** Writes a 4-byte descriptor (X, I with a 15-bit picture id) so receivers can track pictures. */
export class Vp8Packetizer implements Packetizer {
  private pictureId: number;

  constructor(initialPictureId = Math.floor(Math.random() * 0x8000)) {
    this.pictureId = initialPictureId & 0x7fff;
  }

  packetize(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    const pid = this.pictureId;
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    const out: Uint8Array[] = [];
    let o = 0;
    for (const size of balancedChunks(frame.length, maxPayloadSize - 4)) {
      const p = new Uint8Array(4 + size);
      p[0] = 0x80 | (o === 0 ? 0x10 : 0);
      p[1] = 0x80;
      p[2] = 0x80 | (pid >> 8);
      p[3] = pid & 0xff;
      p.set(frame.subarray(o, o + size), 4);
      o += size;
      out.push(p);
    }
    return out;
  }
}
