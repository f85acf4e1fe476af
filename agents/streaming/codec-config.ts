import { splitAnnexB } from '../webrtc/rtp/annexb.js';
import { NAL_IDR, NAL_PPS, NAL_SPS } from '../webrtc/rtp/h264.js';
import { parseH264Sps } from '../webrtc/rtp/h264-sps.js';

/**
 * Codec configuration records containers need: H.264 avcC and length-prefixed NAL units
 * (ISO/IEC 14496-15), OpusHead (RFC 7845), AAC AudioSpecificConfig, WAVEFORMATEX for G.711.
 */

export interface H264Parameters {
  sps: Uint8Array;
  pps: Uint8Array;
  width: number;
  height: number;
}

/** SPS/PPS (and the picture size) carried in an Annex-B access unit, if both are there. */
export function h264ParametersOf(annexB: Uint8Array): H264Parameters | undefined {
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  for (const nal of splitAnnexB(annexB)) {
    const type = nal[0]! & 0x1f;
    if (type === NAL_SPS && !sps) sps = nal;
    else if (type === NAL_PPS && !pps) pps = nal;
  }
  if (!sps || !pps) return undefined;
  try {
    const info = parseH264Sps(sps);
    return { sps, pps, width: info.width, height: info.height };
  } catch {
    return undefined;
  }
}

export function h264HasIdr(annexB: Uint8Array): boolean {
  return splitAnnexB(annexB).some((nal) => (nal[0]! & 0x1f) === NAL_IDR);
}

/** AVCDecoderConfigurationRecord with 4-byte NAL lengths. */
export function buildAvcC(sps: Uint8Array, pps: Uint8Array): Buffer {
  const head = Buffer.from([1, sps[1] ?? 0x42, sps[2] ?? 0, sps[3] ?? 0x1f, 0xff, 0xe1]);
  const spsLen = Buffer.alloc(2);
  spsLen.writeUInt16BE(sps.length);
  const ppsLen = Buffer.alloc(2);
  ppsLen.writeUInt16BE(pps.length);
  return Buffer.concat([head, spsLen, sps, Buffer.from([1]), ppsLen, pps]);
}

export interface AvcConfig {
  lengthSize: number;
  sps: Uint8Array[];
  pps: Uint8Array[];
}

export function parseAvcC(record: Uint8Array): AvcConfig | undefined {
  if (record.length < 7 || record[0] !== 1) return undefined;
  const lengthSize = (record[4]! & 0x03) + 1;
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  let o = 5;
  const read = (count: number, into: Uint8Array[]): boolean => {
    for (let i = 0; i < count; i++) {
      if (o + 2 > record.length) return false;
      const len = (record[o]! << 8) | record[o + 1]!;
      o += 2;
      if (o + len > record.length) return false;
      into.push(record.subarray(o, o + len));
      o += len;
    }
    return true;
  };
  if (!read(record[o++]! & 0x1f, sps)) return undefined;
  if (o >= record.length || !read(record[o++]!, pps)) return undefined;
  return { lengthSize, sps, pps };
}

/** Annex-B → 4-byte length-prefixed NAL units (what Matroska/MP4 carry). */
export function annexBToLengthPrefixed(annexB: Uint8Array): Buffer {
  const nals = splitAnnexB(annexB);
  const parts: Buffer[] = [];
  for (const nal of nals) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(nal.length);
    parts.push(len, Buffer.from(nal.buffer, nal.byteOffset, nal.byteLength));
  }
  return Buffer.concat(parts);
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** Length-prefixed NAL units → Annex-B; `prefix` NAL units (SPS/PPS) go first when given. */
export function lengthPrefixedToAnnexB(
  data: Uint8Array,
  lengthSize: number,
  prefix: Uint8Array[] = [],
): Buffer {
  const parts: Uint8Array[] = [];
  for (const nal of prefix) parts.push(START_CODE, nal);
  let o = 0;
  while (o + lengthSize <= data.length) {
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + data[o + i]!;
    o += lengthSize;
    if (len === 0 || o + len > data.length) break;
    parts.push(START_CODE, data.subarray(o, o + len));
    o += len;
  }
  return Buffer.concat(parts);
}

/** OpusHead identification header (mapping family 0: mono/stereo). */
export function buildOpusHead(channels: number, inputSampleRate: number, preSkip = 0): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'ascii');
  head[8] = 1;
  head[9] = Math.min(2, Math.max(1, channels));
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(inputSampleRate, 12);
  head.writeInt16LE(0, 16);
  head[18] = 0;
  return head;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** AudioSpecificConfig for AAC-LC. */
export function buildAacConfig(sampleRate: number, channels: number): Buffer {
  let index = AAC_RATES.indexOf(sampleRate);
  if (index < 0) index = 3;
  const v = (2 << 11) | (index << 7) | ((channels & 0x0f) << 3);
  return Buffer.from([v >> 8, v & 0xff]);
}

/** Raw AAC access unit: strips an ADTS header if the frame carries one. */
export function stripAdts(frame: Uint8Array): Uint8Array {
  if (frame.length > 7 && frame[0] === 0xff && (frame[1]! & 0xf6) === 0xf0) {
    const headerLength = frame[1]! & 0x01 ? 7 : 9;
    return frame.subarray(headerLength);
  }
  return frame;
}

/** WAVEFORMATEX for codecs Matroska only carries as A_MS/ACM (G.711, G.722). */
export function buildWaveFormatEx(
  formatTag: number,
  channels: number,
  sampleRate: number,
  bits: number,
): Buffer {
  const w = Buffer.alloc(18);
  w.writeUInt16LE(formatTag, 0);
  w.writeUInt16LE(channels, 2);
  w.writeUInt32LE(sampleRate, 4);
  w.writeUInt32LE((sampleRate * channels * bits) / 8, 8);
  w.writeUInt16LE((channels * bits) / 8 || 1, 12);
  w.writeUInt16LE(bits, 14);
  w.writeUInt16LE(0, 16);
  return w;
}

/** VP8 keyframe picture size (RFC 6386 §9.1), or undefined for interframes. */
export function vp8KeyframeSize(frame: Uint8Array): { width: number; height: number } | undefined {
  if (frame.length < 10 || (frame[0]! & 0x01) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  return { width: (frame[6]! | (frame[7]! << 8)) & 0x3fff, height: (frame[8]! | (frame[9]! << 8)) & 0x3fff };
}
