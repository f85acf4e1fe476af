import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SrtpSession, RtpPacket as WeriftRtpPacket } from 'werift';
import { FanoutPacer } from '../../../agents/webrtc/outgoing/fanout-pacer.js';
import { type DatagramSink, OutgoingRtpStream } from '../../../agents/webrtc/outgoing/outgoing-rtp-stream.js';
import {
  createSrtpProtector,
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_80,
  type SrtpProfile,
} from '../../../agents/webrtc/srtp/srtp-protector.js';

/** Sender and receiver SRTP sessions of werift with the same master keys (a DTLS-SRTP pair). */
function weriftPair(profile: SrtpProfile) {
  const key = randomBytes(16);
  const salt = randomBytes(profile === SRTP_AEAD_AES_128_GCM ? 12 : 14);
  const other = randomBytes(16);
  const otherSalt = randomBytes(salt.length);
  const sender = new SrtpSession({
    keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: other, remoteMasterSalt: otherSalt },
    profile,
  });
  const receiver = new SrtpSession({
    keys: { localMasterKey: other, localMasterSalt: otherSalt, remoteMasterKey: key, remoteMasterSalt: salt },
    profile,
  });
  const ctx = sender.localContext;
  const protector = createSrtpProtector({
    profile,
    encryptionKey: ctx.srtpSessionKey,
    salt: ctx.srtpSessionSalt,
    authKey: ctx.srtpSessionAuthTag,
  });
  return { protector, receiver };
}

class CollectingSink implements DatagramSink {
  readonly datagrams: Buffer[] = [];
  send(parts: readonly Buffer[]): boolean {
    this.datagrams.push(Buffer.concat(parts as Buffer[]));
    return true;
  }
}

const PROFILES: [string, SrtpProfile][] = [
  ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM],
  ['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80],
];

describe('SRTP protector', () => {
  it('AES-CM keystream for index 0 matches RFC 3711 appendix B.2', () => {
    // Session key and salt of B.2; SSRC 0 and index 0 make the counter the salt itself.
    const protector = createSrtpProtector({
      profile: SRTP_AES128_CM_HMAC_SHA1_80,
      encryptionKey: Buffer.from('2B7E151628AED2A6ABF7158809CF4F3C', 'hex'),
      salt: Buffer.from('F0F1F2F3F4F5F6F7F8F9FAFBFCFD', 'hex'),
      authKey: Buffer.alloc(20),
    });
    const zeros = new Uint8Array(48);
    const { encrypted } = protector.protect(Buffer.alloc(12), zeros, 0, 0, 0);
    assert.equal(
      encrypted.toString('hex').toUpperCase(),
      'E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0',
    );
    // And the same keystream straight from AES-CTR with the B.2 counter block.
    const ctr = createCipheriv(
      'aes-128-ctr',
      Buffer.from('2B7E151628AED2A6ABF7158809CF4F3C', 'hex'),
      Buffer.from('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000', 'hex'),
    ).update(zeros);
    assert.deepEqual(encrypted, ctr);
  });

  for (const [name, profile] of PROFILES) {
    it(`${name}: werift's receiver authenticates and decrypts our packets across the sequence wrap`, () => {
      const { protector, receiver } = weriftPair(profile);
      const sink = new CollectingSink();
      const stream = new OutgoingRtpStream({
        ssrc: 0x11223344,
        payloadType: 96,
        clockRate: 90000,
        protector,
        sink,
        extensions: [{ id: 1, data: Buffer.from('0') }],
        initialSequenceNumber: 65530,
        initialTimestamp: 1000,
      });
      const payloads: Uint8Array[] = [];
      for (let i = 0; i < 12; i++) {
        const p = randomBytes(100 + i * 37);
        payloads.push(p);
        const ts = stream.frameTimestamp(i * 3000, 'src');
        stream.sendPacket(p, ts, true);
      }
      assert.equal(stream.rolloverCounter, 1, 'ROC incremented at the wrap');
      assert.equal(sink.datagrams.length, 12);
      for (const [i, datagram] of sink.datagrams.entries()) {
        const plain = WeriftRtpPacket.deSerialize(receiver.decrypt(datagram));
        assert.equal(plain.header.sequenceNumber, (65530 + i) & 0xffff);
        assert.equal(plain.header.ssrc, 0x11223344);
        assert.equal(plain.header.payloadType, 96);
        assert.equal(plain.header.marker, true);
        assert.equal(plain.header.timestamp, 1000 + i * 3000);
        assert.deepEqual(plain.header.extensions, [{ id: 1, payload: Buffer.from('0') }]);
        assert.deepEqual(Buffer.from(plain.payload), Buffer.from(payloads[i]!));
      }
      // A NACK for a packet sent before the wrap: its original index (ROC 0) is used.
      assert.equal(stream.resend([65533, 2, 40000]), 2, 'unknown sequence numbers are skipped');
      const [resent, after] = sink.datagrams.slice(12);
      const p1 = WeriftRtpPacket.deSerialize(receiver.decrypt(resent!));
      assert.equal(p1.header.sequenceNumber, 65533);
      assert.deepEqual(Buffer.from(p1.payload), Buffer.from(payloads[3]!));
      const p2 = WeriftRtpPacket.deSerialize(receiver.decrypt(after!));
      assert.equal(p2.header.sequenceNumber, 2);
      assert.deepEqual(Buffer.from(p2.payload), Buffer.from(payloads[8]!));
    });

    it(`${name}: a tampered packet fails werift's authentication`, () => {
      const { protector, receiver } = weriftPair(profile);
      const sink = new CollectingSink();
      const stream = new OutgoingRtpStream({ ssrc: 5, payloadType: 100, clockRate: 90000, protector, sink });
      stream.sendPacket(randomBytes(200), 0, false);
      const bad = Buffer.from(sink.datagrams[0]!);
      bad[20] = bad[20]! ^ 1;
      assert.throws(() => receiver.decrypt(bad));
    });
  }

  it('RTX: retransmissions carry the original sequence number on the RTX SSRC', () => {
    const { protector, receiver } = weriftPair(SRTP_AEAD_AES_128_GCM);
    const sink = new CollectingSink();
    const stream = new OutgoingRtpStream({
      ssrc: 7,
      payloadType: 96,
      clockRate: 90000,
      protector,
      sink,
      rtx: { ssrc: 8, payloadType: 97 },
      initialSequenceNumber: 100,
    });
    const payload = randomBytes(300);
    stream.sendPacket(payload, 5, false);
    stream.sendPacket(randomBytes(10), 5, true);
    assert.equal(stream.resend([100]), 1);
    receiver.decrypt(sink.datagrams[0]!);
    const rtx = WeriftRtpPacket.deSerialize(receiver.decrypt(sink.datagrams[2]!));
    assert.equal(rtx.header.ssrc, 8);
    assert.equal(rtx.header.payloadType, 97);
    assert.equal(rtx.payload.readUInt16BE(0), 100);
    assert.deepEqual(Buffer.from(rtx.payload.subarray(2)), payload);
  });

  it('timestamps continue across a source switch, advanced by the wall time', () => {
    let now = 0;
    const { protector } = weriftPair(SRTP_AEAD_AES_128_GCM);
    const stream = new OutgoingRtpStream({
      ssrc: 1,
      payloadType: 96,
      clockRate: 90000,
      protector,
      sink: new CollectingSink(),
      initialTimestamp: 5000,
      now: () => now,
    });
    assert.equal(stream.frameTimestamp(123456, 'a'), 5000);
    now = 33;
    assert.equal(stream.frameTimestamp(123456 + 3000, 'a'), 8000);
    now = 100;
    // Another layer with unrelated timestamps: continues at 8000 + 67 ms × 90 kHz.
    assert.equal(stream.frameTimestamp(999, 'b'), 8000 + 6030);
    assert.equal(stream.rtpTimeAt(200), 8000 + 6030 + 9000);
  });
});

describe('FanoutPacer', () => {
  it('keeps per-stream order and spreads a burst over loop turns', async () => {
    const { protector, receiver } = weriftPair(SRTP_AEAD_AES_128_GCM);
    const sinks = [new CollectingSink(), new CollectingSink()];
    const streams = sinks.map(
      (sink, i) =>
        new OutgoingRtpStream({ ssrc: 10 + i, payloadType: 96, clockRate: 90000, protector, sink }),
    );
    const pacer = new FanoutPacer({ sliceMs: 0.05 });
    const frame = Array.from({ length: 400 }, () => randomBytes(1000));
    for (const s of streams) pacer.enqueue(s, frame, 0);
    pacer.enqueue(streams[0]!, [randomBytes(50)], 3000);
    assert.ok(pacer.queued > 0, 'not everything went out in the first slice');
    while (pacer.queued > 0) await new Promise((r) => setImmediate(r));
    assert.ok(pacer.deferredSlices > 0);
    assert.equal(sinks[0]!.datagrams.length, 401);
    assert.equal(sinks[1]!.datagrams.length, 400);
    const first = streams[0]!;
    assert.equal(first.counters.packets, 401);
    // Sequence numbers on the wire are consecutive, the marker on each frame's last packet.
    let prev = -1;
    for (const [i, d] of sinks[0]!.datagrams.entries()) {
      const p = WeriftRtpPacket.deSerialize(receiver.decrypt(d));
      if (prev >= 0) assert.equal(p.header.sequenceNumber, (prev + 1) & 0xffff);
      prev = p.header.sequenceNumber;
      assert.equal(p.header.marker, i === 399 || i === 400);
    }
  });

  it('drops frames that waited too long, skipping their sequence numbers', async () => {
    const { protector } = weriftPair(SRTP_AEAD_AES_128_GCM);
    const sink = new CollectingSink();
    const a = new OutgoingRtpStream({ ssrc: 1, payloadType: 96, clockRate: 90000, protector, sink });
    const b = new OutgoingRtpStream({ ssrc: 2, payloadType: 96, clockRate: 90000, protector, sink });
    const pacer = new FanoutPacer({ sliceMs: 0.01, maxQueueDelayMs: 5 });
    const seqB = b.nextSequenceNumber;
    pacer.enqueue(
      a,
      Array.from({ length: 200 }, () => randomBytes(500)),
      0,
    );
    pacer.enqueue(
      b,
      Array.from({ length: 10 }, () => randomBytes(500)),
      0,
    );
    // The loop is held up (a busy node): b's frame is stale when its turn comes.
    const until = performance.now() + 20;
    while (performance.now() < until) {}
    while (pacer.queued > 0) await new Promise((r) => setImmediate(r));
    assert.equal(a.counters.packets, 200, 'a frame already started is finished');
    assert.equal(b.counters.packets, 0);
    assert.equal(pacer.framesDropped, 1);
    assert.equal(b.counters.dropped, 10);
    assert.equal(b.nextSequenceNumber, (seqB + 10) & 0xffff, 'the receiver will see the gap');
    assert.ok(pacer.maxDelayMs >= 5);
  });
});
