import { type FirEntry, type ReportBlock, RTCP_PSFB, RTCP_RR, RTCP_RTPFB, RTCP_SR } from './rtcp-packets.js';
import { writeU16, writeU32 } from './rtp-packet.js';

/** Builders for the RTCP we send: PLI, FIR, generic NACK, REMB, RR, SR. */

function header(buf: Uint8Array, count: number, packetType: number): void {
  buf[0] = 0x80 | (count & 0x1f);
  buf[1] = packetType;
  writeU16(buf, 2, buf.length / 4 - 1);
}

export function buildPli(senderSsrc: number, mediaSsrc: number): Uint8Array {
  const buf = new Uint8Array(12);
  header(buf, 1, RTCP_PSFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, mediaSsrc);
  return buf;
}

export function buildFir(senderSsrc: number, entries: readonly FirEntry[]): Uint8Array {
  const buf = new Uint8Array(12 + entries.length * 8);
  header(buf, 4, RTCP_PSFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, 0); // media SSRC unused in FIR (RFC 5104 §4.3.1.2)
  entries.forEach((e, i) => {
    writeU32(buf, 12 + i * 8, e.ssrc);
    buf[16 + i * 8] = e.sequence & 0xff;
  });
  return buf;
}

/** Packs lost sequence numbers into PID/BLP pairs; input in any order, duplicates ignored. */
export function buildNack(senderSsrc: number, mediaSsrc: number, lost: readonly number[]): Uint8Array {
  const pairs: number[] = [];
  let pid = -1;
  let blp = 0;
  for (const raw of sortSequenceNumbers(lost)) {
    const seq = raw & 0xffff;
    const diff = pid < 0 ? -1 : (seq - pid) & 0xffff;
    if (diff === 0) continue;
    if (diff >= 1 && diff <= 16) {
      blp |= 1 << (diff - 1);
    } else {
      if (pid >= 0) pairs.push(pid, blp);
      pid = seq;
      blp = 0;
    }
  }
  if (pid >= 0) pairs.push(pid, blp);
  const buf = new Uint8Array(12 + pairs.length * 2);
  header(buf, 1, RTCP_RTPFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, mediaSsrc);
  for (let i = 0; i < pairs.length; i += 2) {
    writeU16(buf, 12 + i * 2, pairs[i]!);
    writeU16(buf, 14 + i * 2, pairs[i + 1]!);
  }
  return buf;
}

/** Sorts 16-bit sequence numbers in wrap-aware order, starting from the first one given. */
function sortSequenceNumbers(seqs: readonly number[]): number[] {
  if (seqs.length < 2) return seqs.slice();
  const base = seqs[0]!;
  // Distance from base in (-32768, 32767]: stable across the 16-bit wrap.
  const rel = (s: number) => ((((s - base) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
  return seqs.slice().sort((a, b) => rel(a) - rel(b));
}

export function buildRemb(senderSsrc: number, bitrate: number, ssrcs: readonly number[]): Uint8Array {
  let exp = 0;
  let mantissa = Math.max(0, Math.floor(bitrate));
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  const buf = new Uint8Array(20 + ssrcs.length * 4);
  header(buf, 15, RTCP_PSFB);
  writeU32(buf, 4, senderSsrc);
  writeU32(buf, 8, 0);
  buf.set([0x52, 0x45, 0x4d, 0x42], 12); // 'REMB'
  buf[16] = ssrcs.length;
  buf[17] = (exp << 2) | (mantissa >> 16);
  writeU16(buf, 18, mantissa & 0xffff);
  for (let i = 0; i < ssrcs.length; i++) writeU32(buf, 20 + i * 4, ssrcs[i]!);
  return buf;
}

export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[]): Uint8Array {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks per RR');
  const buf = new Uint8Array(8 + reports.length * 24);
  header(buf, reports.length, RTCP_RR);
  writeU32(buf, 4, ssrc);
  reports.forEach((r, i) => {
    const o = 8 + i * 24;
    writeU32(buf, o, r.ssrc);
    buf[o + 4] = r.fractionLost & 0xff;
    const lost = r.packetsLost < 0 ? r.packetsLost + 0x1000000 : r.packetsLost;
    buf[o + 5] = (lost >> 16) & 0xff;
    buf[o + 6] = (lost >> 8) & 0xff;
    buf[o + 7] = lost & 0xff;
    writeU32(buf, o + 8, r.highestSequence);
    writeU32(buf, o + 12, r.jitter);
    writeU32(buf, o + 16, r.lastSr);
    writeU32(buf, o + 20, r.delaySinceLastSr);
  });
  return buf;
}

export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

/** SR: lets receivers map RTP time to wall clock (lip sync) and measure RTT via LSR/DLSR. */
export function buildSenderReport(
  ssrc: number,
  info: SenderInfo,
  reports: readonly ReportBlock[] = [],
): Uint8Array {
  const rr = buildReceiverReport(ssrc, reports);
  const buf = new Uint8Array(rr.length + 20);
  header(buf, reports.length, RTCP_SR);
  writeU32(buf, 4, ssrc);
  writeU32(buf, 8, info.ntpSeconds);
  writeU32(buf, 12, info.ntpFraction);
  writeU32(buf, 16, info.rtpTimestamp);
  writeU32(buf, 20, info.packetCount);
  writeU32(buf, 24, info.octetCount);
  buf.set(rr.subarray(8), 28);
  return buf;
}

/** Concatenates RTCP packets into one compound. */
export function buildCompound(packets: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += p.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of packets) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
