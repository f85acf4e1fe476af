import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpParseError } from '../../../agents/webrtc/rtp/rtp-errors.js';
import {
  cloneRtpPacket,
  getHeaderExtension,
  isRtpPacket,
  parseRtpPacket,
  type RtpPacket,
  serializeRtpPacket,
} from '../../../agents/webrtc/rtp/rtp-packet.js';

function packet(overrides: Partial<RtpPacket> = {}): RtpPacket {
  return {
    payloadType: 96,
    marker: true,
    sequenceNumber: 0xfffe,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrcs: [],
    extensionProfile: 0,
    extensions: [],
    payload: Uint8Array.of(1, 2, 3, 4, 5),
    paddingSize: 0,
    ...overrides,
  };
}

describe('RTP packet', () => {
  it('serializes the fixed header bit-exactly', () => {
    const bytes = serializeRtpPacket(packet());
    assert.deepEqual(
      [...bytes],
      [0x80, 0xe0, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xf0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5],
    );
    assert.equal(isRtpPacket(bytes), true);
  });

  it('round-trips CSRCs, one-byte extensions and padding', () => {
    const p = packet({
      csrcs: [1, 0xffffffff],
      extensionProfile: 0xbede,
      extensions: [
        { id: 1, data: Uint8Array.of(0xaa) },
        { id: 14, data: new Uint8Array(16).fill(7) },
      ],
      paddingSize: 7,
    });
    const bytes = serializeRtpPacket(p);
    assert.equal(bytes[0]! & 0x3f, 0x32, 'P, X and CC=2');
    assert.equal(bytes.length % 4, 0);
    const q = parseRtpPacket(bytes);
    assert.deepEqual(q.csrcs, [1, 0xffffffff]);
    assert.equal(q.extensionProfile, 0xbede);
    assert.deepEqual(
      q.extensions.map((e) => [e.id, [...e.data]]),
      [
        [1, [0xaa]],
        [14, new Array(16).fill(7)],
      ],
    );
    assert.deepEqual([...q.payload], [1, 2, 3, 4, 5]);
    assert.equal(q.paddingSize, 7);
    assert.deepEqual([...getHeaderExtension(q, 14)!], new Array(16).fill(7));
    assert.deepEqual(serializeRtpPacket(q), bytes);
  });

  it('switches to two-byte extensions when ids or sizes need it', () => {
    const p = packet({
      extensions: [
        { id: 200, data: new Uint8Array(40).fill(3) },
        { id: 2, data: new Uint8Array(0) },
      ],
    });
    const q = parseRtpPacket(serializeRtpPacket(p));
    assert.equal(q.extensionProfile, 0x1000);
    assert.deepEqual(
      q.extensions.map((e) => [e.id, e.data.length]),
      [
        [200, 40],
        [2, 0],
      ],
    );
  });

  it('keeps an unknown extension profile raw', () => {
    const p = packet({ extensionProfile: 0x1234, extensions: [{ id: 0, data: Uint8Array.of(9, 9, 9, 9) }] });
    const q = parseRtpPacket(serializeRtpPacket(p));
    assert.equal(q.extensionProfile, 0x1234);
    assert.deepEqual([...q.extensions[0]!.data], [9, 9, 9, 9]);
  });

  it('parses a one-byte block with padding bytes and stops at id 15', () => {
    // biome-ignore format: wire layout, one row per header part
    const bytes = Uint8Array.of(
      0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
      0xbe, 0xde, 0, 2,
      0x10, 0x55, 0x00, 0xf0, 0, 0, 0, 0,
      0xab,
    );
    const q = parseRtpPacket(bytes);
    assert.deepEqual(
      q.extensions.map((e) => [e.id, [...e.data]]),
      [[1, [0x55]]],
    );
    assert.deepEqual([...q.payload], [0xab]);
  });

  it('rejects malformed headers with RtpParseError', () => {
    const good = serializeRtpPacket(
      packet({ csrcs: [5], extensions: [{ id: 1, data: Uint8Array.of(1, 2) }], paddingSize: 4 }),
    );
    const bad: Uint8Array[] = [
      new Uint8Array(11),
      Uint8Array.of(0x40, ...new Uint8Array(11)), // version 1
      Uint8Array.of(0x8f, ...new Uint8Array(11)), // 15 CSRCs, none present
      Uint8Array.of(0x90, ...new Uint8Array(11), 0xbe, 0xde, 0, 9), // extension longer than packet
      Uint8Array.of(0xa0, ...new Uint8Array(11), 1, 2, 200), // padding larger than payload
      Uint8Array.of(0xa0, ...new Uint8Array(11), 1, 2, 0), // padding size 0
      Uint8Array.of(0x90, ...new Uint8Array(11), 0x10, 0x00, 0, 1, 0x00, 0x00, 0x02, 0x09), // two-byte elt
    ];
    // Every cut inside the header or the extension block (which ends at byte 24).
    for (let n = 0; n < 24; n++) bad.push(good.subarray(0, n));
    for (const b of bad) assert.throws(() => parseRtpPacket(b), RtpParseError, `input ${[...b]}`);
  });

  it('clones without aliasing the input buffer', () => {
    const bytes = serializeRtpPacket(packet());
    const p = parseRtpPacket(bytes);
    const c = cloneRtpPacket(p);
    bytes.fill(0);
    assert.deepEqual([...c.payload], [1, 2, 3, 4, 5]);
    assert.equal(p.payload[0], 0);
  });
});
