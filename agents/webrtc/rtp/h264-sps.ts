import { BitReader } from './bit-reader.js';
import { RtpParseError } from './rtp-errors.js';

/** Picture size from an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1). */

export interface H264SpsInfo {
  profileIdc: number;
  levelIdc: number;
  width: number;
  height: number;
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Removes emulation prevention bytes (00 00 03 → 00 00). */
export function unescapeRbsp(nal: Uint8Array, start = 0): Uint8Array {
  const out = new Uint8Array(nal.length - start);
  let n = 0;
  let zeros = 0;
  for (let i = start; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.readSe() + 256) % 256;
    if (next !== 0) last = next;
  }
}

/** Parses an SPS NAL unit (including its one-byte NAL header). */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) throw new RtpParseError('not an H264 SPS');
  const r = new BitReader(unescapeRbsp(nal, 1));
  const profileIdc = r.readBits(8);
  r.skipBits(8); // constraint flags
  const levelIdc = r.readBits(8);
  r.readUe(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUe();
    if (chromaFormatIdc > 3) throw new RtpParseError('H264 SPS chroma_format_idc out of range');
    if (chromaFormatIdc === 3) separateColourPlane = r.readBit();
    r.readUe(); // bit_depth_luma_minus8
    r.readUe(); // bit_depth_chroma_minus8
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    if (r.readBit()) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) if (r.readBit()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.readUe(); // log2_max_frame_num_minus4
  const pocType = r.readUe();
  if (pocType === 0) {
    r.readUe();
  } else if (pocType === 1) {
    r.skipBits(1);
    r.readSe();
    r.readSe();
    const cycle = r.readUe();
    if (cycle > 255) throw new RtpParseError('H264 SPS POC cycle too long');
    for (let i = 0; i < cycle; i++) r.readSe();
  }
  r.readUe(); // max_num_ref_frames
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUe() + 1;
  const heightMapUnits = r.readUe() + 1;
  const frameMbsOnly = r.readBit();
  if (!frameMbsOnly) r.skipBits(1);
  r.skipBits(1); // direct_8x8_inference_flag
  let cropLeft = 0;
  let cropRight = 0;
  let cropTop = 0;
  let cropBottom = 0;
  if (r.readBit()) {
    cropLeft = r.readUe();
    cropRight = r.readUe();
    cropTop = r.readUe();
    cropBottom = r.readUe();
  }
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaFormatIdc === 3 ? 1 : 2;
  const subHeightC = chromaFormatIdc === 1 ? 2 : 1;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
  const width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
  const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
  if (width <= 0 || height <= 0) throw new RtpParseError('H264 SPS cropping exceeds the picture');
  return { profileIdc, levelIdc, width, height };
}
