import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPacketizer, type RtpCodec, rtpClockRate } from '../../../agents/webrtc/rtp/codecs.js';
import { RetransmissionCache } from '../../../agents/webrtc/rtp/retransmission-cache.js';
import { parseRtpPacket, type RtpPacket, serializeRtpPacket } from '../../../agents/webrtc/rtp/rtp-packet.js';
import { RtpReceiveStream } from '../../../agents/webrtc/rtp/rtp-receive-stream.js';
import { RtpStreamSender } from '../../../agents/webrtc/rtp/rtp-stream-sender.js';
import { RtxSender } from '../../../agents/webrtc/rtp/rtx.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import {
  av1Frame,
  createRandom,
  h264Frame,
  opusFrame,
  shuffleWithin,
  type TestFrame,
  vp8Frame,
  vp9Frame,
} from './rtp-fixtures.js';

const MTU_PAYLOAD = 300;
const FRAME_TICKS = 3000;

interface Case {
  name: string;
  codec: RtpCodec;
  mode?: 0 | 1;
  make: (rand: () => number, index: number) => TestFrame;
}

const keyAt = (i: number) => i % 10 === 0;

const CASES: Case[] = [
  { name: 'vp8', codec: 'vp8', make: (r, i) => vp8Frame(r, keyAt(i), keyAt(i) ? 2500 : 40 + i * 37) },
  { name: 'vp9', codec: 'vp9', make: (r, i) => vp9Frame(r, keyAt(i), keyAt(i) ? 2500 : 40 + i * 37) },
  {
    name: 'h264 mode 1',
    codec: 'h264',
    make: (r, i) => h264Frame(r, keyAt(i), keyAt(i) ? [1800, 900] : [30, 40 + i * 37]),
  },
  {
    name: 'h264 mode 0',
    codec: 'h264',
    mode: 0,
    make: (r, i) => h264Frame(r, keyAt(i), keyAt(i) ? [280, 250, 120] : [30 + i, 200]),
  },
  { name: 'av1', codec: 'av1', make: (r, i) => av1Frame(r, keyAt(i), keyAt(i) ? 2500 : 40 + i * 37) },
];

function makeFrames(c: Case, count: number, seed: number): TestFrame[] {
  const rand = createRandom(seed);
  return Array.from({ length: count }, (_, i) => c.make(rand, i));
}

/** Frames → RTP bytes with seq and timestamps about to wrap. */
function sendFrames(c: Case, frames: TestFrame[]): Uint8Array[][] {
  const sender = new RtpStreamSender({
    ssrc: 0x1234,
    payloadType: 96,
    clockRate: rtpClockRate(c.codec),
    packetizer: createPacketizer(c.codec, { packetizationMode: c.mode }),
    maxPayloadSize: MTU_PAYLOAD,
    initialSequenceNumber: 65500,
    initialTimestamp: 2 ** 32 - 5 * FRAME_TICKS,
  });
  return frames.map((f, i) =>
    sender.packetizeFrame({ payload: f.payload, timestamp: i * FRAME_TICKS }).map(serializeRtpPacket),
  );
}

function receiver(codec: RtpCodec, frames: MediaFrame[], events: string[]): RtpReceiveStream {
  return new RtpReceiveStream({
    codec,
    ssrc: 0x1234,
    maxReorderWaitMs: 50,
    nack: false,
    onFrame: (f) => frames.push(f),
    onKeyframeNeeded: () => events.push('pli'),
  });
}

function assertSameFrames(got: MediaFrame[], sent: TestFrame[], indices: number[]): void {
  assert.equal(got.length, indices.length, 'frame count');
  got.forEach((f, k) => {
    const want = sent[indices[k]!]!;
    assert.equal(f.kind, 'video');
    if (f.kind !== 'video') return;
    assert.deepEqual(Buffer.from(f.payload), Buffer.from(want.payload), `payload of frame ${indices[k]}`);
    assert.equal(f.keyframe, want.keyframe, `keyframe flag of frame ${indices[k]}`);
    assert.equal(f.width, 320);
    assert.equal(f.height, 240);
    if (k > 0) {
      assert.equal(f.timestamp - got[k - 1]!.timestamp, (indices[k]! - indices[k - 1]!) * FRAME_TICKS);
    }
  });
}

describe('RTP round trip frame → packets → impairments → frames', () => {
  for (const c of CASES) {
    it(`${c.name}: shuffled and duplicated packets, seq and timestamp wrapping`, () => {
      const frames = makeFrames(c, 30, 7);
      const perFrame = sendFrames(c, frames);
      assert.ok(perFrame[0]!.length > 1, 'keyframe spans several packets');
      const rand = createRandom(11);
      const wire: Uint8Array[] = [];
      for (const p of perFrame.flat()) {
        wire.push(p);
        if (rand() < 0.1) wire.push(p); // duplicate
      }
      const got: MediaFrame[] = [];
      const events: string[] = [];
      const rx = receiver(c.codec, got, events);
      let now = 0;
      for (const bytes of shuffleWithin(wire, 6, rand)) {
        rx.receive(parseRtpPacket(bytes), now);
        now += 1;
        rx.poll(now);
      }
      rx.poll(now + 1000);
      assertSameFrames(
        got,
        frames,
        frames.map((_, i) => i),
      );
      assert.deepEqual(events, [], 'no keyframe request without loss');
      assert.equal(rx.stats.reorder.lost, 0);
      // Sequence numbers wrapped during the run (65500 + >36 packets).
      assert.ok(perFrame.flat().length > 36);
    });

    it(`${c.name}: a lost packet drops its frame and the frames until the next keyframe`, () => {
      const frames = makeFrames(c, 25, 3);
      const perFrame = sendFrames(c, frames);
      const got: MediaFrame[] = [];
      const events: string[] = [];
      const rx = receiver(c.codec, got, events);
      let now = 0;
      perFrame.forEach((packets, i) => {
        packets.forEach((bytes, j) => {
          if (i === 4 && j === packets.length - 1) return; // lose the last packet of frame 4
          rx.receive(parseRtpPacket(bytes), now);
        });
        now += 33;
        rx.poll(now);
        if (i === 6) assert.equal(rx.needKeyframe, true, 'waiting for a keyframe after the loss');
      });
      rx.poll(now + 1000);
      const expected = [0, 1, 2, 3, ...Array.from({ length: 15 }, (_, k) => 10 + k)];
      assertSameFrames(got, frames, expected);
      assert.ok(events.length >= 1, 'keyframe requested');
      assert.ok(events.length <= 2, `keyframe requests rate-limited (${events.length})`);
      assert.equal(rx.needKeyframe, false, 'recovered at the keyframe');
      assert.equal(rx.stats.reorder.lost, 1);
    });
  }

  it('NACK + RTX repair a loss without a keyframe request', () => {
    const c = CASES[0]!;
    const frames = makeFrames(c, 12, 5);
    const sender = new RtpStreamSender({
      ssrc: 0x1234,
      payloadType: 96,
      clockRate: 90000,
      packetizer: createPacketizer('vp8'),
      maxPayloadSize: MTU_PAYLOAD,
    });
    const cache = new RetransmissionCache<RtpPacket>({ size: 512 });
    const rtxSender = new RtxSender({ payloadType: 97, ssrc: 0x5678 });
    const got: MediaFrame[] = [];
    const events: string[] = [];
    let now = 0;
    const rx = new RtpReceiveStream({
      codec: 'vp8',
      ssrc: 0x1234,
      rtx: { ssrc: 0x5678, aptByPayloadType: new Map([[97, 96]]) },
      maxReorderWaitMs: 200,
      nack: { rttMs: 20, reorderDelayMs: 0 },
      onFrame: (f) => got.push(f),
      onKeyframeNeeded: () => events.push('pli'),
      onNack: (seqs) => {
        events.push(`nack:${seqs.length}`);
        for (const original of cache.answerNack(seqs, now)) {
          rx.receive(parseRtpPacket(serializeRtpPacket(rtxSender.wrap(original))), now);
        }
      },
    });
    frames.forEach((f, i) => {
      const packets = sender.packetizeFrame({ payload: f.payload, timestamp: i * FRAME_TICKS });
      packets.forEach((p, j) => {
        cache.store(p.sequenceNumber, p, now);
        if ((i === 3 && j === 0) || (i === 7 && j === packets.length - 1)) return; // lost
        rx.receive(parseRtpPacket(serializeRtpPacket(p)), now);
      });
      now += 10;
      rx.poll(now);
    });
    rx.poll(now + 1000);
    assertSameFrames(
      got,
      frames,
      frames.map((_, i) => i),
    );
    assert.deepEqual(
      events.filter((e) => e === 'pli'),
      [],
    );
    assert.ok(events.includes('nack:1'));
    assert.equal(rx.stats.rtxRecovered, 2);
  });

  it('padding-only probes between frames neither break frames nor ask for keyframes', () => {
    const c = CASES[0]!;
    const frames = makeFrames(c, 12, 8);
    const perFrame = sendFrames(c, frames);
    const got: MediaFrame[] = [];
    const events: string[] = [];
    const rx = receiver('vp8', got, events);
    // Re-number: insert one padding-only packet after every frame (as a sender's probe would).
    let seq = 100;
    let now = 0;
    for (const packets of perFrame) {
      for (const bytes of packets) rx.receive({ ...parseRtpPacket(bytes), sequenceNumber: seq++ }, now);
      const last = parseRtpPacket(packets[packets.length - 1]!);
      rx.receive(
        { ...last, sequenceNumber: seq++, marker: false, payload: new Uint8Array(0), paddingSize: 200 },
        now,
      );
      now += 33;
      rx.poll(now);
    }
    rx.poll(now + 1000);
    assertSameFrames(
      got,
      frames,
      frames.map((_, i) => i),
    );
    assert.deepEqual(events, []);
  });

  it('a sequence restart (jump back) recovers at the next keyframe', () => {
    const c = CASES[0]!;
    const frames = makeFrames(c, 25, 4);
    const perFrame = sendFrames(c, frames);
    const got: MediaFrame[] = [];
    const events: string[] = [];
    const rx = receiver('vp8', got, events);
    let now = 0;
    perFrame.forEach((packets, i) => {
      for (const bytes of packets) {
        const p = parseRtpPacket(bytes);
        // From frame 5 on the sender numbers from 30000 lower.
        rx.receive(i >= 5 ? { ...p, sequenceNumber: (p.sequenceNumber - 30000) & 0xffff } : p, now);
      }
      now += 33;
      rx.poll(now);
    });
    rx.poll(now + 1000);
    const expected = [0, 1, 2, 3, 4, ...Array.from({ length: 15 }, (_, k) => 10 + k)];
    assertSameFrames(got, frames, expected);
    assert.ok(events.length >= 1);
  });

  it('opus: every packet is a frame; a loss drops only that frame', () => {
    const rand = createRandom(9);
    const frames = Array.from({ length: 50 }, () => opusFrame(rand, 20 + Math.floor(rand() * 200)));
    const sender = new RtpStreamSender({
      ssrc: 1,
      payloadType: 111,
      clockRate: 48000,
      packetizer: createPacketizer('opus'),
      initialSequenceNumber: 65530,
      initialTimestamp: 2 ** 32 - 960 * 3,
    });
    const wire = frames.map((f, i) =>
      serializeRtpPacket(sender.packetizeFrame({ payload: f.payload, timestamp: i * 960 })[0]!),
    );
    const got: MediaFrame[] = [];
    const events: string[] = [];
    const rx = new RtpReceiveStream({
      codec: 'opus',
      ssrc: 1,
      maxReorderWaitMs: 100,
      onFrame: (f) => got.push(f),
      onKeyframeNeeded: () => events.push('pli'),
    });
    let now = 0;
    for (const bytes of shuffleWithin(
      wire.filter((_, i) => i !== 20),
      4,
      rand,
    )) {
      rx.receive(parseRtpPacket(bytes), now);
      now += 20;
      rx.poll(now);
    }
    rx.poll(now + 1000);
    const expected = frames.filter((_, i) => i !== 20);
    assert.equal(got.length, expected.length);
    got.forEach((f, k) => {
      assert.equal(f.kind, 'audio');
      assert.deepEqual(Buffer.from(f.payload), Buffer.from(expected[k]!.payload));
      if (f.kind === 'audio') assert.equal(f.sampleRate, 48000);
    });
    assert.equal(got[20]!.timestamp - got[19]!.timestamp, 2 * 960, 'the gap keeps the timeline');
    assert.deepEqual(events, []);
  });
});
