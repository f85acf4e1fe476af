import {
  OBU_PADDING,
  OBU_SEQUENCE_HEADER,
  OBU_TEMPORAL_DELIMITER,
  OBU_TILE_LIST,
  type Obu,
  parseAv1SequenceHeader,
  readObu,
  splitObus,
} from './av1-obu.js';
import { type AssembledFrame, concatBytes, type Depacketizer } from './depacketizer.js';
import { leb128Size, readLeb128, writeLeb128 } from './leb128.js';
import type { Packetizer } from './packetizer.js';
import { PacketizeError, RtpParseError } from './rtp-errors.js';

/**
 * AV1 over RTP (AOM "RTP Payload Format for AV1" v1.0): aggregation header Z|Y|W|N, OBU
 * elements with LEB128 lengths, OBUs fragmented across packets. Frames are handed on as a
 * low-overhead bitstream temporal unit: a temporal delimiter, then every OBU with a size field.
 */

const TEMPORAL_DELIMITER = Uint8Array.of(0x12, 0x00);

export class Av1Depacketizer implements Depacketizer {
  readonly kind = 'video';
  readonly codec = 'av1';
  readonly singlePacketFrames = false;
  readonly needsKeyframeAfterLoss = true;

  isFrameStart(payload: Uint8Array): boolean {
    if (payload.length < 2) throw new RtpParseError('AV1 payload too short');
    return (payload[0]! & 0x80) === 0; // Z = 0: does not continue an OBU of the previous packet
  }

  assemble(payloads: readonly Uint8Array[]): AssembledFrame | null {
    const elements: Uint8Array[][] = [];
    let pending: Uint8Array[] | undefined;
    let newSequence = false;
    for (let i = 0; i < payloads.length; i++) {
      const p = payloads[i]!;
      if (p.length < 2) throw new RtpParseError('AV1 payload too short');
      const agg = p[0]!;
      const z = (agg & 0x80) !== 0;
      const y = (agg & 0x40) !== 0;
      const w = (agg >> 4) & 0x03;
      if (i === 0) newSequence = (agg & 0x08) !== 0;
      if (z !== (pending !== undefined)) return null; // fragment chain broken
      let o = 1;
      let count = 0;
      while (o < p.length) {
        count++;
        let len: number;
        if (w === 0 || count < w) {
          const l = readLeb128(p, o);
          o += l.size;
          len = l.value;
        } else {
          len = p.length - o;
        }
        if (o + len > p.length) throw new RtpParseError('AV1 OBU element exceeds the packet');
        const element = p.subarray(o, o + len);
        o += len;
        const last = o >= p.length || (w !== 0 && count === w);
        if (count === 1 && pending) {
          pending.push(element);
          if (!(last && y)) {
            elements.push(pending);
            pending = undefined;
          }
        } else if (last && y) {
          pending = [element];
        } else {
          elements.push([element]);
        }
        if (w !== 0 && count === w) break;
      }
      if (o !== p.length) throw new RtpParseError('AV1 packet has bytes after its last OBU element');
      if (y && !pending) throw new RtpParseError('AV1 Y bit set without a trailing fragment');
    }
    if (pending) return null;
    const obus: Obu[] = [];
    let keyframe = newSequence;
    let width = 0;
    let height = 0;
    for (const pieces of elements) {
      const bytes = pieces.length === 1 ? pieces[0]! : concatBytes(pieces);
      if (bytes.length === 0) continue;
      const { obu } = readObu(bytes, 0, bytes.length);
      if (obu.type === OBU_TEMPORAL_DELIMITER || obu.type === OBU_TILE_LIST) continue;
      if (obu.type === OBU_SEQUENCE_HEADER) {
        keyframe = true;
        const size = parseAv1SequenceHeader(obu.payload);
        width = size.width;
        height = size.height;
      }
      obus.push(obu);
    }
    if (obus.length === 0) return null;
    let total = TEMPORAL_DELIMITER.length;
    for (const obu of obus) total += obu.header.length + leb128Size(obu.payload.length) + obu.payload.length;
    const out = new Uint8Array(total);
    out.set(TEMPORAL_DELIMITER, 0);
    let o = TEMPORAL_DELIMITER.length;
    for (const obu of obus) {
      out.set(obu.header, o);
      out[o] = obu.header[0]! | 0x02; // has_size_field
      o += obu.header.length;
      o += writeLeb128(out, o, obu.payload.length);
      out.set(obu.payload, o);
      o += obu.payload.length;
    }
    return { payload: out, keyframe, width, height };
  }
}

/** Low-overhead temporal unit → RTP payloads; OBUs without size fields, W = 0 elements. */
export class Av1Packetizer implements Packetizer {
  packetize(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    if (maxPayloadSize < 4) throw new PacketizeError('max payload size too small for AV1');
    const elements: Uint8Array[] = [];
    let newSequence = false;
    for (const obu of splitObus(frame)) {
      if (obu.type === OBU_TEMPORAL_DELIMITER || obu.type === OBU_TILE_LIST || obu.type === OBU_PADDING) {
        continue; // not sent over RTP
      }
      if (obu.type === OBU_SEQUENCE_HEADER) newSequence = true;
      const e = new Uint8Array(obu.header.length + obu.payload.length);
      e.set(obu.header, 0);
      e[0] = obu.header[0]! & ~0x02;
      e.set(obu.payload, obu.header.length);
      elements.push(e);
    }
    if (elements.length === 0) throw new PacketizeError('AV1 temporal unit has no OBU to send');
    const out: Uint8Array[] = [];
    let parts: Uint8Array[] = [];
    let size = 1;
    let z = false;
    const flush = (y: boolean) => {
      const p = new Uint8Array(size);
      p[0] = (z ? 0x80 : 0) | (y ? 0x40 : 0) | (newSequence && out.length === 0 ? 0x08 : 0);
      let o = 1;
      for (const part of parts) {
        p.set(part, o);
        o += part.length;
      }
      out.push(p);
      parts = [];
      size = 1;
      z = y;
    };
    for (const e of elements) {
      let pos = 0;
      while (pos < e.length) {
        const avail = maxPayloadSize - size;
        const rem = e.length - pos;
        if (leb128Size(rem) + rem <= avail) {
          this.push(parts, e.subarray(pos));
          size += leb128Size(rem) + rem;
          break;
        }
        const n = avail - leb128Size(avail);
        if (n < 1) {
          flush(pos > 0);
          continue;
        }
        this.push(parts, e.subarray(pos, pos + n));
        size += leb128Size(n) + n;
        pos += n;
        flush(true);
      }
    }
    if (parts.length > 0) flush(false);
    return out;
  }

  private push(parts: Uint8Array[], element: Uint8Array): void {
    const len = new Uint8Array(leb128Size(element.length));
    writeLeb128(len, 0, element.length);
    parts.push(len, element);
  }
}
