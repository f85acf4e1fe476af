import { joinAnnexB, splitAnnexB } from './annexb.js';
import type { AssembledFrame, Depacketizer } from './depacketizer.js';
import { parseH264Sps } from './h264-sps.js';
import { balancedChunks, type Packetizer } from './packetizer.js';
import { PacketizeError, RtpParseError } from './rtp-errors.js';

/** H.264 over RTP (RFC 6184), packetization modes 0 and 1: single NAL, STAP-A, FU-A. */

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;

export class H264Depacketizer implements Depacketizer {
  readonly kind = 'video';
  readonly codec = 'h264';
  readonly singlePacketFrames = false;
  readonly needsKeyframeAfterLoss = true;
  /** Last parameter sets seen, prepended to IDR frames that arrive without them. */
  private sps: Uint8Array | undefined;
  private pps: Uint8Array | undefined;
  private width = 0;
  private height = 0;

  isFrameStart(payload: Uint8Array): boolean {
    if (payload.length < 1) return false;
    const type = payload[0]! & 0x1f;
    if (type === NAL_FU_A) return payload.length >= 2 && (payload[1]! & 0x80) !== 0;
    return type >= 1 && type <= NAL_STAP_A;
  }

  assemble(payloads: readonly Uint8Array[]): AssembledFrame | null {
    const nals: Uint8Array[][] = [];
    let fu: Uint8Array[] | undefined;
    for (const p of payloads) {
      if (p.length < 1) throw new RtpParseError('H264 empty payload');
      if (p[0]! & 0x80) throw new RtpParseError('H264 forbidden_zero_bit set');
      const type = p[0]! & 0x1f;
      if (type >= 1 && type <= 23) {
        if (fu) return null; // FU-A interrupted
        nals.push([p]);
      } else if (type === NAL_STAP_A) {
        if (fu) return null;
        let o = 1;
        if (p.length < 4) throw new RtpParseError('H264 STAP-A too short');
        while (o < p.length) {
          if (o + 2 > p.length) throw new RtpParseError('H264 STAP-A size truncated');
          const size = (p[o]! << 8) | p[o + 1]!;
          o += 2;
          if (size === 0 || o + size > p.length) throw new RtpParseError('H264 STAP-A NAL size invalid');
          nals.push([p.subarray(o, o + size)]);
          o += size;
        }
      } else if (type === NAL_FU_A) {
        if (p.length < 3) throw new RtpParseError('H264 FU-A too short');
        const fuHeader = p[1]!;
        const start = (fuHeader & 0x80) !== 0;
        const end = (fuHeader & 0x40) !== 0;
        if (start && end) throw new RtpParseError('H264 FU-A with both start and end bits');
        if (start) {
          if (fu) return null;
          fu = [Uint8Array.of((p[0]! & 0xe0) | (fuHeader & 0x1f))];
        } else if (!fu) {
          return null; // continuation without its start
        }
        fu.push(p.subarray(2));
        if (end) {
          nals.push(fu);
          fu = undefined;
        }
      } else {
        throw new RtpParseError(`H264 NAL type ${type} is not allowed in packetization mode 0/1`);
      }
    }
    if (fu || nals.length === 0) return null;
    let keyframe = false;
    let hasSps = false;
    let hasPps = false;
    for (const pieces of nals) {
      const type = pieces[0]![0]! & 0x1f;
      if (type === NAL_IDR) keyframe = true;
      else if (type === NAL_SPS) {
        hasSps = true;
        this.sps = pieces.length === 1 ? pieces[0]!.slice() : joinAnnexB([pieces]).subarray(4);
        this.readSize(this.sps);
      } else if (type === NAL_PPS) {
        hasPps = true;
        this.pps = pieces.length === 1 ? pieces[0]!.slice() : joinAnnexB([pieces]).subarray(4);
      }
    }
    if (keyframe) {
      // Decoders need parameter sets in front of an IDR: repeat the last ones when missing.
      const prefix: Uint8Array[][] = [];
      if (!hasSps && this.sps) prefix.push([this.sps]);
      if (!hasPps && this.pps) prefix.push([this.pps]);
      if (prefix.length) nals.unshift(...prefix);
    }
    return {
      payload: joinAnnexB(nals),
      keyframe,
      width: keyframe ? this.width : 0,
      height: keyframe ? this.height : 0,
    };
  }

  private readSize(sps: Uint8Array): void {
    try {
      const info = parseH264Sps(sps);
      this.width = info.width;
      this.height = info.height;
    } catch (err) {
      if (!(err instanceof RtpParseError)) throw err;
    }
  }
}

export interface H264PacketizerOptions {
  /** 0: single NAL unit only; 1 (default): non-interleaved with STAP-A and FU-A. */
  packetizationMode?: 0 | 1;
}

/** Annex-B frame → RTP payloads. */
export class H264Packetizer implements Packetizer {
  readonly packetizationMode: 0 | 1;

  constructor(options: H264PacketizerOptions = {}) {
    this.packetizationMode = options.packetizationMode ?? 1;
  }

  packetize(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    const nals = splitAnnexB(frame);
    if (nals.length === 0) throw new PacketizeError('H264 frame contains no NAL unit');
    const out: Uint8Array[] = [];
    if (this.packetizationMode === 0) {
      for (const nal of nals) {
        if (nal.length > maxPayloadSize) {
          throw new PacketizeError(`H264 NAL of ${nal.length} bytes exceeds ${maxPayloadSize} in mode 0`);
        }
        out.push(nal);
      }
      return out;
    }
    let i = 0;
    while (i < nals.length) {
      const nal = nals[i]!;
      if (nal.length > maxPayloadSize) {
        this.fragment(nal, maxPayloadSize, out);
        i++;
        continue;
      }
      // Aggregate the run of following NALs that fits one packet (SPS + PPS + small slices).
      let size = 1 + 2 + nal.length;
      let j = i + 1;
      while (j < nals.length && size + 2 + nals[j]!.length <= maxPayloadSize) size += 2 + nals[j++]!.length;
      if (j - i < 2) {
        out.push(nal);
        i++;
        continue;
      }
      const stap = new Uint8Array(size);
      let nri = 0;
      let forbidden = 0;
      let o = 1;
      for (let k = i; k < j; k++) {
        const n = nals[k]!;
        nri = Math.max(nri, n[0]! & 0x60);
        forbidden |= n[0]! & 0x80;
        stap[o] = n.length >> 8;
        stap[o + 1] = n.length & 0xff;
        stap.set(n, o + 2);
        o += 2 + n.length;
      }
      stap[0] = forbidden | nri | NAL_STAP_A;
      out.push(stap);
      i = j;
    }
    return out;
  }

  private fragment(nal: Uint8Array, maxPayloadSize: number, out: Uint8Array[]): void {
    const indicator = (nal[0]! & 0xe0) | NAL_FU_A;
    const type = nal[0]! & 0x1f;
    const body = nal.subarray(1);
    const sizes = balancedChunks(body.length, maxPayloadSize - 2);
    let o = 0;
    sizes.forEach((size, i) => {
      const p = new Uint8Array(2 + size);
      p[0] = indicator;
      p[1] = (i === 0 ? 0x80 : 0) | (i === sizes.length - 1 ? 0x40 : 0) | type;
      p.set(body.subarray(o, o + size), 2);
      o += size;
      out.push(p);
    });
  }
}
