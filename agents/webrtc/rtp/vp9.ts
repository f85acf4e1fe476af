import { BitReader } from './bit-reader.js';
import { type AssembledFrame, concatBytes, type Depacketizer } from './depacketizer.js';
import { balancedChunks, type Packetizer } from './packetizer.js';
import { RtpParseError } from './rtp-errors.js';

/** VP9 over RTP (RFC 9628), flexible and non-flexible mode. */

export interface Vp9Descriptor {
  headerSize: number;
  /** B: first packet of a layer frame. */
  start: boolean;
  /** E: last packet of a layer frame. */
  end: boolean;
  /** P: inter-picture predicted. */
  interPicture: boolean;
  spatialId: number;
  pictureId: number;
  /** Largest spatial layer size from the scalability structure, 0 when absent. */
  width: number;
  height: number;
}

export function parseVp9Descriptor(payload: Uint8Array): Vp9Descriptor {
  const len = payload.length;
  if (len < 2) throw new RtpParseError('VP9 payload too short');
  const b0 = payload[0]!;
  const need = (o: number) => {
    if (o >= len) throw new RtpParseError('VP9 payload descriptor truncated');
  };
  let o = 1;
  let pictureId = -1;
  let spatialId = 0;
  let width = 0;
  let height = 0;
  if (b0 & 0x80) {
    need(o);
    const p = payload[o++]!;
    if (p & 0x80) {
      need(o);
      pictureId = ((p & 0x7f) << 8) | payload[o++]!;
    } else pictureId = p;
  }
  const flexible = (b0 & 0x10) !== 0;
  if (b0 & 0x20) {
    need(o);
    spatialId = (payload[o++]! >> 1) & 0x07;
    if (!flexible) o++; // TL0PICIDX
  }
  if (flexible && b0 & 0x40) {
    for (let i = 0; ; i++) {
      need(o);
      if (i >= 3) throw new RtpParseError('VP9 more than 3 reference indices');
      if (!(payload[o++]! & 0x01)) break;
    }
  }
  if (b0 & 0x02) {
    need(o);
    const ss = payload[o++]!;
    const layers = (ss >> 5) + 1;
    if (ss & 0x10) {
      for (let i = 0; i < layers; i++) {
        if (o + 4 > len) throw new RtpParseError('VP9 scalability structure truncated');
        const w = (payload[o]! << 8) | payload[o + 1]!;
        const h = (payload[o + 2]! << 8) | payload[o + 3]!;
        if (w * h >= width * height) {
          width = w;
          height = h;
        }
        o += 4;
      }
    }
    if (ss & 0x08) {
      need(o);
      const groups = payload[o++]!;
      for (let i = 0; i < groups; i++) {
        need(o);
        o += 1 + ((payload[o]! >> 2) & 0x03);
      }
    }
  }
  if (o >= len) throw new RtpParseError('VP9 payload has no data after its descriptor');
  return {
    headerSize: o,
    start: (b0 & 0x08) !== 0,
    end: (b0 & 0x04) !== 0,
    interPicture: (b0 & 0x40) !== 0,
    spatialId,
    pictureId,
    width,
    height,
  };
}

export interface Vp9FrameInfo {
  keyframe: boolean;
  width: number;
  height: number;
}

/** Reads keyframe and size from a VP9 uncompressed frame header (VP9 bitstream spec §6.2). */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameInfo {
  const r = new BitReader(frame);
  if (r.readBits(2) !== 2) throw new RtpParseError('VP9 frame marker missing');
  const low = r.readBit();
  const profile = (r.readBit() << 1) | low;
  if (profile === 3) r.skipBits(1);
  if (r.readBit()) return { keyframe: false, width: 0, height: 0 }; // show_existing_frame
  const keyframe = r.readBit() === 0;
  if (!keyframe) return { keyframe, width: 0, height: 0 };
  r.skipBits(2); // show_frame, error_resilient_mode
  if (r.readBits(24) !== 0x498342) throw new RtpParseError('VP9 sync code missing');
  if (profile >= 2) r.skipBits(1);
  const colorSpace = r.readBits(3);
  if (colorSpace !== 7) {
    r.skipBits(1);
    if (profile === 1 || profile === 3) r.skipBits(3);
  } else if (profile === 1 || profile === 3) r.skipBits(1);
  const width = r.readBits(16) + 1;
  const height = r.readBits(16) + 1;
  return { keyframe, width, height };
}

export class Vp9Depacketizer implements Depacketizer {
  readonly kind = 'video';
  readonly codec = 'vp9';
  readonly singlePacketFrames = false;
  readonly needsKeyframeAfterLoss = true;

  isFrameStart(payload: Uint8Array): boolean {
    const d = parseVp9Descriptor(payload);
    return d.start && d.spatialId === 0;
  }

  assemble(payloads: readonly Uint8Array[]): AssembledFrame | null {
    const parts: Uint8Array[] = new Array(payloads.length);
    let total = 0;
    let first: Vp9Descriptor | undefined;
    let ssWidth = 0;
    let ssHeight = 0;
    // Sizes of the layer frames (one per spatial layer) that make up this picture.
    const layerSizes: number[] = [];
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i]!;
      const d = parseVp9Descriptor(p);
      if (i === 0) {
        if (!d.start) return null;
        first = d;
      }
      if (d.width > 0) {
        ssWidth = d.width;
        ssHeight = d.height;
      }
      const part = p.subarray(d.headerSize);
      if (d.start || layerSizes.length === 0) layerSizes.push(0);
      layerSizes[layerSizes.length - 1]! += part.length;
      parts[i] = part;
      total += part.length;
    }
    const frame =
      layerSizes.length > 1 ? withSuperframeIndex(parts, total, layerSizes) : concatBytes(parts, total);
    let info: Vp9FrameInfo;
    try {
      info = parseVp9FrameHeader(frame);
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
      info = { keyframe: !first!.interPicture, width: 0, height: 0 };
    }
    const width = ssWidth || info.width;
    const height = ssHeight || info.height;
    return { payload: frame, keyframe: info.keyframe, width, height };
  }
}

/**
 * Spatial layers of one picture arrive as separate layer frames; a decoder takes them as one
 * superframe (VP9 bitstream spec Annex B): the frames, then an index of their sizes.
 */
function withSuperframeIndex(
  parts: readonly Uint8Array[],
  total: number,
  sizes: readonly number[],
): Uint8Array {
  if (sizes.length > 8) throw new RtpParseError('VP9 picture with more than 8 layer frames');
  const largest = Math.max(...sizes);
  const bytesPerSize = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : largest < 0x1000000 ? 3 : 4;
  const marker = 0xc0 | ((bytesPerSize - 1) << 3) | (sizes.length - 1);
  const indexSize = 2 + bytesPerSize * sizes.length;
  const out = new Uint8Array(total + indexSize);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  out[o++] = marker;
  for (const size of sizes) {
    for (let b = 0; b < bytesPerSize; b++) out[o++] = (size >>> (8 * b)) & 0xff;
  }
  out[o] = marker;
  return out;
}

/** Non-flexible mode, one spatial layer, 15-bit picture id; SS with the size on key frames. */
export class Vp9Packetizer implements Packetizer {
  private pictureId: number;

  constructor(initialPictureId = Math.floor(Math.random() * 0x8000)) {
    this.pictureId = initialPictureId & 0x7fff;
  }

  packetize(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    const pid = this.pictureId;
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    let info: Vp9FrameInfo = { keyframe: false, width: 0, height: 0 };
    try {
      info = parseVp9FrameHeader(frame);
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
    }
    const withSs = info.keyframe && info.width > 0;
    const out: Uint8Array[] = [];
    const sizes = balancedChunks(frame.length, maxPayloadSize - (withSs ? 8 : 3));
    let o = 0;
    sizes.forEach((size, i) => {
      const ss = withSs && i === 0;
      const hdr = ss ? 8 : 3;
      const p = new Uint8Array(hdr + size);
      p[0] =
        0x80 |
        (info.keyframe ? 0 : 0x40) |
        (i === 0 ? 0x08 : 0) |
        (i === sizes.length - 1 ? 0x04 : 0) |
        (ss ? 0x02 : 0);
      p[1] = 0x80 | (pid >> 8);
      p[2] = pid & 0xff;
      if (ss) {
        p[3] = 0x10; // N_S = 0 (one layer), Y = 1 (sizes present), G = 0
        p[4] = info.width >> 8;
        p[5] = info.width & 0xff;
        p[6] = info.height >> 8;
        p[7] = info.height & 0xff;
      }
      p.set(frame.subarray(o, o + size), hdr);
      o += size;
      out.push(p);
    });
    return out;
  }
}
