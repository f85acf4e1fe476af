import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseH264Sps } from '../../../agents/webrtc/rtp/h264-sps.js';
import { NackGenerator } from '../../../agents/webrtc/rtp/nack-generator.js';
import { ReorderBuffer } from '../../../agents/webrtc/rtp/reorder-buffer.js';
import { RetransmissionCache } from '../../../agents/webrtc/rtp/retransmission-cache.js';
import { RtpParseError } from '../../../agents/webrtc/rtp/rtp-errors.js';
import type { RtpPacket } from '../../../agents/webrtc/rtp/rtp-packet.js';
import { RtpRewriter } from '../../../agents/webrtc/rtp/rtp-rewriter.js';
import { RtpStreamSender } from '../../../agents/webrtc/rtp/rtp-stream-sender.js';
import { RtxSender, unwrapRtx } from '../../../agents/webrtc/rtp/rtx.js';
import { SequenceUnwrapper, TimestampUnwrapper } from '../../../agents/webrtc/rtp/sequence-unwrapper.js';
import { parseVp8Descriptor, Vp8Packetizer } from '../../../agents/webrtc/rtp/vp8.js';
import { parseVp9Descriptor, Vp9Depacketizer } from '../../../agents/webrtc/rtp/vp9.js';
import { h264Sps } from './rtp-fixtures.js';

function pkt(seq: number, ts = 0, marker = false): RtpPacket {
  return {
    payloadType: 96,
    marker,
    sequenceNumber: seq & 0xffff,
    timestamp: ts >>> 0,
    ssrc: 1,
    csrcs: [],
    extensionProfile: 0,
    extensions: [],
    payload: Uint8Array.of(seq & 0xff),
    paddingSize: 0,
  };
}

describe('unwrappers', () => {
  it('unwraps 16-bit sequence numbers forward, backward and across the wrap', () => {
    const u = new SequenceUnwrapper();
    assert.deepEqual(
      [65533, 65535, 65534, 0, 2, 1, 65535, 30002, 40000].map((s) => u.unwrap(s)),
      [65533, 65535, 65534, 65536, 65538, 65537, 65535, 95538, 105536],
    );
    const v = new SequenceUnwrapper();
    assert.deepEqual(
      [3, 65534].map((s) => v.unwrap(s)),
      [3, -2],
    );
  });

  it('unwraps 32-bit timestamps over several wraps', () => {
    const u = new TimestampUnwrapper();
    let ts = 2 ** 32 - 6000;
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      out.push(u.unwrap(ts >>> 0));
      ts += 2 ** 31 - 1;
    }
    for (let i = 1; i < out.length; i++) assert.equal(out[i]! - out[i - 1]!, 2 ** 31 - 1);
  });
});

describe('ReorderBuffer', () => {
  function setup(options: { capacity?: number; maxWaitMs?: number } = {}) {
    const released: number[] = [];
    const losses: [number, number][] = [];
    const rb = new ReorderBuffer({
      ...options,
      startupHoldMs: 0,
      onPacket: (p) => released.push(p.sequenceNumber),
      onLoss: (first, count) => losses.push([first & 0xffff, count]),
    });
    return { rb, released, losses };
  }

  it('releases in order across the wrap, drops duplicates', () => {
    const { rb, released, losses } = setup();
    for (const s of [65534, 0, 65535, 0, 2, 1, 1, 3]) rb.insert(pkt(s), 0);
    assert.deepEqual(released, [65534, 65535, 0, 1, 2, 3]);
    assert.deepEqual(losses, []);
    assert.equal(rb.stats.duplicates + rb.stats.late, 2);
  });

  it('reports gaps for NACK and gives up after maxWaitMs', () => {
    const { rb, released, losses } = setup({ maxWaitMs: 100 });
    rb.insert(pkt(10), 0);
    rb.insert(pkt(13), 5);
    rb.insert(pkt(15), 20);
    assert.deepEqual(
      rb.missing().map((s) => s & 0xffff),
      [11, 12, 14],
    );
    rb.poll(104);
    assert.deepEqual(released, [10]);
    assert.equal(rb.nextDeadline, 105);
    rb.poll(105);
    assert.deepEqual(losses, [[11, 2]]);
    assert.deepEqual(released, [10, 13]);
    assert.equal(rb.nextDeadline, 120, '15 has waited since 20');
    rb.poll(120);
    assert.deepEqual(losses, [
      [11, 2],
      [14, 1],
    ]);
    assert.deepEqual(released, [10, 13, 15]);
    rb.insert(pkt(12), 106); // too late now
    assert.equal(rb.stats.late, 1);
    assert.equal(rb.size, 0);
  });

  it('stays bounded: a full ring gives up the oldest gap', () => {
    const { rb, released, losses } = setup({ capacity: 16, maxWaitMs: 1e9 });
    rb.insert(pkt(0), 0);
    for (let s = 2; s < 40; s++) rb.insert(pkt(s), s);
    assert.ok(rb.size <= 16);
    assert.deepEqual(losses, [[1, 1]]);
    assert.equal(released.length, 39);
  });

  it('a forward jump past the ring releases the new packet at once and reports the skipped run', () => {
    const { rb, released, losses } = setup({ capacity: 64, maxWaitMs: 1e9 });
    rb.insert(pkt(10), 0);
    rb.insert(pkt(12), 1); // held behind 11
    rb.insert(pkt(30010), 2);
    assert.deepEqual(released, [10, 12, 30010]);
    assert.deepEqual(losses, [
      [11, 1],
      [13, 29997],
    ]);
    assert.equal(rb.size, 0);
  });

  it('holds the start so packets reordered before the first one count', () => {
    const released: number[] = [];
    const rb = new ReorderBuffer({ startupHoldMs: 20, onPacket: (p) => released.push(p.sequenceNumber) });
    rb.insert(pkt(101), 0);
    rb.insert(pkt(100), 3);
    rb.insert(pkt(102), 5);
    assert.deepEqual(released, []);
    rb.poll(20);
    assert.deepEqual(released, [100, 101, 102]);
  });
});

describe('NackGenerator', () => {
  it('NACKs gaps after the reorder delay, retries every RTT, stops on arrival or limit', () => {
    const g = new NackGenerator({ rttMs: 50, reorderDelayMs: 10, maxRetries: 3 });
    g.onPacket(100, 0);
    g.onPacket(104, 0); // 101..103 missing
    assert.deepEqual(g.poll(5), []);
    assert.deepEqual(g.poll(10), [101, 102, 103]);
    g.onPacket(102, 20);
    assert.deepEqual(g.poll(30), [], 'spaced by RTT');
    assert.deepEqual(g.poll(70), [101, 103]);
    g.forgetBefore(102);
    assert.deepEqual(g.poll(130), [103]);
    assert.deepEqual(g.poll(200), [], 'retry limit reached');
    assert.equal(g.missingCount, 0);
    assert.equal(g.stats.recovered, 1);
  });

  it('wraps sequence numbers into 16 bits and bounds the tracked set', () => {
    const g = new NackGenerator({ reorderDelayMs: 0, maxMissing: 5 });
    g.onPacket(65534, 0);
    g.onPacket(65537, 0);
    assert.deepEqual(g.poll(0), [65535, 0]);
    g.onPacket(65537 + 100, 0); // jump: treated as reset
    assert.equal(g.missingCount, 0);
    g.onPacket(65637 + 6, 0);
    assert.equal(g.missingCount, 5);
  });
});

describe('send side', () => {
  it('retransmission cache answers NACKs, forgets overwritten and expired packets', () => {
    const cache = new RetransmissionCache<number>({ size: 512, maxAgeMs: 1000 });
    for (let s = 65000; s < 65000 + 1000; s++) cache.store(s & 0xffff, s, s - 65000);
    assert.equal(cache.get(65000 & 0xffff, 999), undefined, 'overwritten');
    assert.deepEqual(cache.answerNack([65999 & 0xffff, 1, 7], 1000), [65999, 65537, 65543]);
    assert.equal(cache.get(1, 5000), undefined, 'expired');
  });

  it('RTX wraps with OSN and its own sequence, unwraps to the original', () => {
    const rtx = new RtxSender({ payloadType: 97, ssrc: 99, initialSequenceNumber: 65535 });
    const original = pkt(1234, 5555, true);
    const a = rtx.wrap(original);
    const b = rtx.wrap(original);
    assert.deepEqual([a.sequenceNumber, b.sequenceNumber], [65535, 0]);
    assert.deepEqual([...a.payload.subarray(0, 2)], [0x04, 0xd2]);
    const back = unwrapRtx(a, 1, new Map([[97, 96]]));
    assert.deepEqual(back, { ...original, payload: back.payload });
    assert.deepEqual([...back.payload], [...original.payload]);
    assert.throws(() => unwrapRtx({ ...a, payloadType: 98 }, 1, new Map([[97, 96]])), RtpParseError);
    assert.throws(
      () => unwrapRtx({ ...a, payload: Uint8Array.of(1, 2) }, 1, new Map([[97, 96]])),
      RtpParseError,
    );
  });

  it('RtpStreamSender keeps seq and timestamps continuous across a source switch', () => {
    let now = 0;
    const s = new RtpStreamSender({
      ssrc: 7,
      payloadType: 96,
      clockRate: 90000,
      packetizer: new Vp8Packetizer(0),
      maxPayloadSize: 100,
      initialSequenceNumber: 65534,
      initialTimestamp: 1000,
      now: () => now,
    });
    const a = s.packetizeFrame({ payload: new Uint8Array(250), timestamp: 50_000 }, 'low');
    now = 33;
    const b = s.packetizeFrame({ payload: new Uint8Array(50), timestamp: 53_000 }, 'low');
    now = 66;
    const c = s.packetizeFrame({ payload: new Uint8Array(50), timestamp: 9_000_000 }, 'high');
    assert.deepEqual(
      [...a, ...b, ...c].map((p) => p.sequenceNumber),
      [65534, 65535, 0, 1, 2],
    );
    assert.deepEqual(
      [...a, ...b, ...c].map((p) => p.marker),
      [false, false, true, true, true],
    );
    assert.equal(a[0]!.timestamp, 1000);
    assert.equal(b[0]!.timestamp, 4000);
    assert.equal(c[0]!.timestamp, 4000 + 33 * 90, 'advanced by wall time since the last frame');
    assert.ok([...a, ...b, ...c].every((p) => p.ssrc === 7));
  });

  it('RtpRewriter maps forwarded packets of two sources onto one continuous stream', () => {
    let now = 0;
    const r = new RtpRewriter({
      ssrc: 42,
      clockRate: 90000,
      initialSequenceNumber: 65535,
      initialTimestamp: 10,
      now: () => now,
    });
    const out1 = [pkt(500, 1000), pkt(501, 1000, true), pkt(502, 4000, true)].map((p) => r.rewrite(p, 'a'));
    now = 40;
    const out2 = [pkt(9000, 777_000), pkt(8999, 774_000)].map((p) => r.rewrite(p, 'b'));
    assert.deepEqual(
      [...out1, ...out2].map((p) => p.sequenceNumber),
      [65535, 0, 1, 2, 1],
    );
    assert.deepEqual(
      out1.map((p) => p.timestamp),
      [10, 10, 3010],
    );
    assert.equal(out2[0]!.timestamp, 3010 + 40 * 90);
    assert.ok([...out1, ...out2].every((p) => p.ssrc === 42 && p.extensions.length === 0));
  });
});

describe('H264 SPS', () => {
  it('reads sizes, with cropping', () => {
    for (const [w, h] of [
      [320, 240],
      [1920, 1080],
      [640, 360],
      [176, 144],
    ] as const) {
      const info = parseH264Sps(h264Sps(w, h));
      assert.deepEqual([info.width, info.height], [w, h]);
    }
  });

  it('reads real libx264 SPSs (High 1280x720, High 4:4:4 1920x1080 with cropping)', () => {
    // Extracted from `ffmpeg -f lavfi -i testsrc=... -c:v libx264 -f h264` output.
    const high = parseH264Sps(Buffer.from('6764001facd9405005bb0110000003001000000303c0f1831960', 'hex'));
    assert.equal(high.profileIdc, 100);
    assert.deepEqual([high.width, high.height], [1280, 720]);
    const high444 = parseH264Sps(
      Buffer.from('67f40028919b280f0044fc4e0220000003002000000781e30632c0', 'hex'),
    );
    assert.equal(high444.profileIdc, 244);
    assert.deepEqual([high444.width, high444.height], [1920, 1080]);
  });
});

describe('payload descriptors', () => {
  it('VP8: every optional field', () => {
    const d = parseVp8Descriptor(Uint8Array.of(0x90, 0xf0, 0x81, 0x23, 7, 0x40, 0xaa));
    assert.deepEqual(d, { headerSize: 6, start: true, partitionId: 0, pictureId: 0x123 });
    assert.throws(() => parseVp8Descriptor(Uint8Array.of(0x90, 0xf0, 0x81, 0x23, 7, 0x40)), RtpParseError);
  });

  it('VP9: flexible mode with layer indices and reference diffs (as Chrome sends)', () => {
    const d = parseVp9Descriptor(Uint8Array.of(0xf8, 0x81, 0x02, 0x03, 0x03, 0x04, 0xaa));
    assert.equal(d.headerSize, 6);
    assert.equal(d.spatialId, 1);
    assert.equal(d.pictureId, 0x102);
    assert.equal(d.interPicture, true);
    assert.equal(d.start, true);
  });

  it('VP9: scalability structure with three spatial layers and a picture group', () => {
    // I=0 P=0 L=0 F=0 B=1 E=1 V=1; N_S=2, Y=1, G=1; sizes 320x180, 640x360, 1280x720; N_G=1 (R=1).
    const d = parseVp9Descriptor(
      Uint8Array.of(0x0e, 0x58, 1, 64, 0, 180, 2, 128, 1, 104, 5, 0, 2, 208, 1, 0x04, 1, 0x82),
    );
    assert.deepEqual([d.width, d.height, d.headerSize], [1280, 720, 17]);
  });

  it('VP9: spatial layers of one picture become a superframe with an index', () => {
    const base = Uint8Array.of(0x82, 0x49, 0x83, 0x42, 0x20, 0x13, 0xf0, 0x0e, 0xf0, 1, 2, 3);
    const enhancement = new Uint8Array(300).fill(7);
    // Non-flexible with L: base layer (SID 0) in one packet, SID 1 in two packets.
    const packets = [
      Uint8Array.of(0x2c, 0x00, 0x00, ...base),
      Uint8Array.of(0x68, 0x03, 0x00, ...enhancement.subarray(0, 100)),
      Uint8Array.of(0x64, 0x03, 0x00, ...enhancement.subarray(100)),
    ];
    const frame = new Vp9Depacketizer().assemble(packets)!;
    assert.equal(frame.keyframe, true);
    assert.deepEqual([frame.width, frame.height], [320, 240]);
    const index = [0xc8 | 1, base.length, 0, 300 & 0xff, 300 >> 8, 0xc8 | 1];
    assert.deepEqual([...frame.payload], [...base, ...enhancement, ...index]);
  });
});
