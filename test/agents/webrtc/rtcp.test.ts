import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCompound,
  buildFir,
  buildNack,
  buildPli,
  buildReceiverReport,
  buildRemb,
  buildSenderReport,
} from '../../../agents/webrtc/rtp/rtcp-builders.js';
import { parseRtcpCompound } from '../../../agents/webrtc/rtp/rtcp-packets.js';
import { RtcpParseError } from '../../../agents/webrtc/rtp/rtp-errors.js';

const REPORT = {
  ssrc: 0x11223344,
  fractionLost: 25,
  packetsLost: -3,
  highestSequence: 0x0001fffe,
  jitter: 77,
  lastSr: 0xabcdef01,
  delaySinceLastSr: 65536,
};

function senderReport(): Uint8Array {
  return buildSenderReport(
    0xaaaa0001,
    {
      ntpSeconds: 0xe0000000,
      ntpFraction: 0x80000000,
      rtpTimestamp: 123456,
      packetCount: 1000,
      octetCount: 500000,
    },
    [REPORT],
  );
}

describe('RTCP', () => {
  it('round-trips every builder through the compound parser', () => {
    const compound = buildCompound([
      senderReport(),
      buildReceiverReport(7, [REPORT, { ...REPORT, ssrc: 9, packetsLost: 0x7fffff }]),
      buildPli(1, 2),
      buildFir(1, [
        { ssrc: 2, sequence: 5 },
        { ssrc: 3, sequence: 255 },
      ]),
      buildNack(1, 2, [65534, 65535, 0, 1, 17, 40000]),
      buildRemb(1, 2_500_000, [2, 3]),
    ]);
    const { packets, errors } = parseRtcpCompound(compound);
    assert.deepEqual(errors, []);
    assert.equal(packets.length, 6);
    const [sr, rr, pli, fir, nack, remb] = packets;
    assert.equal(sr!.type, 'sr');
    if (sr!.type === 'sr') {
      assert.equal(sr.ssrc, 0xaaaa0001);
      assert.equal(sr.ntpSeconds, 0xe0000000);
      assert.equal(sr.ntpFraction, 0x80000000);
      assert.equal(sr.packetCount, 1000);
      assert.equal(sr.rtpTimestamp, 123456);
      assert.equal(sr.octetCount, 500000);
      assert.deepEqual(sr.reports, [REPORT]);
    }
    assert.deepEqual(rr, {
      type: 'rr',
      ssrc: 7,
      reports: [REPORT, { ...REPORT, ssrc: 9, packetsLost: 0x7fffff }],
    });
    assert.deepEqual(pli, { type: 'pli', senderSsrc: 1, mediaSsrc: 2 });
    assert.deepEqual(fir, {
      type: 'fir',
      senderSsrc: 1,
      mediaSsrc: 0,
      entries: [
        { ssrc: 2, sequence: 5 },
        { ssrc: 3, sequence: 255 },
      ],
    });
    assert.equal(nack!.type, 'nack');
    if (nack!.type === 'nack') {
      assert.deepEqual(
        nack.lost.slice().sort((a, b) => a - b),
        [0, 1, 17, 40000, 65534, 65535],
      );
    }
    assert.equal(remb!.type, 'remb');
    if (remb!.type === 'remb') {
      assert.ok(Math.abs(remb.bitrate - 2_500_000) / 2_500_000 < 0.001);
      assert.deepEqual(remb.ssrcs, [2, 3]);
    }
  });

  it('packs NACK runs into PID/BLP pairs across the wrap', () => {
    const nack = buildNack(1, 2, [65535, 0, 1, 2, 15]);
    assert.equal(nack.length, 16, 'one FCI entry');
    const { packets } = parseRtcpCompound(nack);
    assert.deepEqual(packets[0], { type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [65535, 0, 1, 2, 15] });
  });

  it('rejects a bogus NACK inside a compound while its siblings parse', () => {
    const bogusNoFci = Uint8Array.of(0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2); // no PID/BLP
    const bogusPadding = Uint8Array.of(0xa1, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0x12, 0x34, 0, 4); // padding eats FCI
    const compound = buildCompound([
      buildReceiverReport(7, []),
      bogusNoFci,
      buildPli(3, 4),
      bogusPadding,
      buildRemb(5, 1000, [6]),
    ]);
    const { packets, errors } = parseRtcpCompound(compound);
    assert.deepEqual(
      packets.map((p) => p.type),
      ['rr', 'pli', 'remb'],
    );
    assert.equal(errors.length, 2);
    for (const e of errors) assert.ok(e instanceof RtcpParseError);
    assert.ok(!packets.some((p) => p.type === 'nack'), 'no junk NACK list');
  });

  it('keeps packets before a length that overruns the compound', () => {
    const overrun = Uint8Array.of(0x81, 205, 0, 40, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 0);
    const { packets, errors } = parseRtcpCompound(buildCompound([buildPli(1, 2), overrun]));
    assert.deepEqual(
      packets.map((p) => p.type),
      ['pli'],
    );
    assert.equal(errors.length, 1);
  });

  it('rejects report counts and REMB SSRC counts that do not fit', () => {
    const rr = buildReceiverReport(1, [REPORT]);
    rr[0] = 0x82; // claims 2 report blocks
    const remb = buildRemb(1, 1000, [2]);
    remb[16] = 3; // claims 3 SSRCs
    const { packets, errors } = parseRtcpCompound(buildCompound([rr, remb, buildPli(1, 1)]));
    assert.deepEqual(
      packets.map((p) => p.type),
      ['pli'],
    );
    assert.equal(errors.length, 2);
  });
});
