import { BitReader } from './bit-reader.js';
import { readLeb128 } from './leb128.js';
import { RtpParseError } from './rtp-errors.js';

/** AV1 OBUs (AV1 bitstream spec §5.3) and the sequence header fields we need. */

export const OBU_SEQUENCE_HEADER = 1;
export const OBU_TEMPORAL_DELIMITER = 2;
export const OBU_TILE_LIST = 8;
export const OBU_PADDING = 15;

export interface Obu {
  type: number;
  /** Header byte(s): 1, or 2 with the extension byte. */
  header: Uint8Array;
  payload: Uint8Array;
}

/** Reads one OBU at `offset` with or without its size field; `end` bounds it when sizeless. */
export function readObu(buf: Uint8Array, offset: number, end: number): { obu: Obu; next: number } {
  if (offset >= end) throw new RtpParseError('AV1 OBU truncated');
  const h = buf[offset]!;
  if (h & 0x80) throw new RtpParseError('AV1 OBU forbidden bit set');
  const headerLen = h & 0x04 ? 2 : 1;
  if (offset + headerLen > end) throw new RtpParseError('AV1 OBU header truncated');
  let start = offset + headerLen;
  let stop = end;
  if (h & 0x02) {
    const size = readLeb128(buf.subarray(0, end), start);
    start += size.size;
    stop = start + size.value;
    if (stop > end) throw new RtpParseError('AV1 OBU size exceeds its buffer');
  }
  return {
    obu: {
      type: (h >> 3) & 0x0f,
      header: buf.subarray(offset, offset + headerLen),
      payload: buf.subarray(start, stop),
    },
    next: stop,
  };
}

/** Splits a low-overhead bitstream (every OBU with a size field) into OBUs. */
export function splitObus(buf: Uint8Array): Obu[] {
  const obus: Obu[] = [];
  let o = 0;
  let guard = buf.length + 1;
  while (o < buf.length && guard-- > 0) {
    if (!(buf[o]! & 0x02)) throw new RtpParseError('AV1 OBU without size field in a temporal unit');
    const { obu, next } = readObu(buf, o, buf.length);
    obus.push(obu);
    o = next;
  }
  return obus;
}

/** Maximum frame size from a sequence header OBU payload. */
export function parseAv1SequenceHeader(payload: Uint8Array): { width: number; height: number } {
  const r = new BitReader(payload);
  r.skipBits(3); // seq_profile
  r.skipBits(1); // still_picture
  const reduced = r.readBit();
  if (reduced) {
    r.skipBits(5);
  } else {
    let decoderModelInfo = 0;
    let bufferDelayLength = 0;
    if (r.readBit()) {
      // timing_info
      r.skipBits(64);
      if (r.readBit()) r.readUvlc();
      decoderModelInfo = r.readBit();
      if (decoderModelInfo) {
        bufferDelayLength = r.readBits(5) + 1;
        r.skipBits(32 + 5 + 5);
      }
    }
    const initialDisplayDelay = r.readBit();
    const ops = r.readBits(5) + 1;
    for (let i = 0; i < ops; i++) {
      r.skipBits(12);
      if (r.readBits(5) > 7) r.skipBits(1);
      if (decoderModelInfo && r.readBit()) r.skipBits(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.readBit()) r.skipBits(4);
    }
  }
  const wBits = r.readBits(4) + 1;
  const hBits = r.readBits(4) + 1;
  return { width: r.readBits(wBits) + 1, height: r.readBits(hBits) + 1 };
}
