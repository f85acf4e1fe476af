import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { LinkProtocolError } from '../../common/links/link-errors.js';
import { MessageDeframer } from '../../common/links/message-deframer.js';
import {
  decodeMessage,
  encodeMessage,
  encodeMessageChunks,
  LENGTH_PREFIX_BYTES,
  WIRE_VERSION,
} from '../../common/media/frame-wire.js';
import { type LinkMessage, REJECT_CODES, type RejectCode } from '../../common/media/link-message.js';
import {
  AUDIO_CODECS,
  type AudioFrame,
  type MediaFrame,
  VIDEO_CODECS,
  type VideoFrame,
} from '../../common/media/media-frame.js';
import { WireFormatError } from '../../common/media/wire-format-error.js';

function videoFrame(codec: (typeof VIDEO_CODECS)[number], keyframe: boolean, size = 100): VideoFrame {
  return {
    kind: 'video',
    codec,
    keyframe,
    timestamp: 2 ** 40 + 12345, // beyond 32 bits: timestamps are unwrapped
    clockRate: 90_000,
    width: keyframe ? 1920 : 0,
    height: keyframe ? 1080 : 0,
    payload: randomBytes(size),
  };
}

function audioFrame(codec: (typeof AUDIO_CODECS)[number]): AudioFrame {
  return {
    kind: 'audio',
    codec,
    timestamp: 960 * 7,
    clockRate: 48_000,
    sampleRate: 48_000,
    channels: 2,
    payload: randomBytes(80),
  };
}

function allMessages(): LinkMessage[] {
  const messages: LinkMessage[] = [];
  for (const codec of VIDEO_CODECS) {
    messages.push({ type: 'frame', streamId: `v-${codec}`, frame: videoFrame(codec, true) });
    messages.push({ type: 'frame', streamId: `v-${codec}`, frame: videoFrame(codec, false) });
  }
  for (const codec of AUDIO_CODECS)
    messages.push({ type: 'frame', streamId: `a-${codec}`, frame: audioFrame(codec) });
  messages.push({
    type: 'frame',
    streamId: 'empty',
    frame: { ...videoFrame('vp8', false), payload: new Uint8Array(0) },
  });
  messages.push({
    type: 'hello',
    ticket: {
      linkId: 'node-a>node-b#1',
      sourceNodeId: 'node-a',
      destNodeId: 'node-b',
      expiresAt: Date.now() + 60_000,
      nonce: randomBytes(16),
      signature: randomBytes(32),
    },
  });
  messages.push({ type: 'welcome', resumed: false }, { type: 'welcome', resumed: true });
  for (const code of Object.keys(REJECT_CODES) as RejectCode[])
    messages.push({ type: 'reject', code, reason: `no: ${code}` });
  messages.push({ type: 'close', reason: '' }, { type: 'close', reason: 'bye ünïcode' });
  messages.push({ type: 'feedback', streamId: 's1', feedback: { type: 'keyframe-request' } });
  messages.push({ type: 'feedback', streamId: 's1', feedback: { type: 'target-bitrate', bps: 2_500_000 } });
  messages.push({ type: 'announce', streamId: 'stream-ß' }, { type: 'end', streamId: 'stream-ß' });
  messages.push({ type: 'ping', id: 1 }, { type: 'pong', id: 0xffffffff });
  return messages;
}

/** Plain-data form for deep comparison (Buffers and Uint8Arrays compare by content). */
function plain(message: LinkMessage): unknown {
  return JSON.parse(
    JSON.stringify(message, (_k, v: unknown) =>
      v instanceof Uint8Array ||
      (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer')
        ? Buffer.from(v instanceof Uint8Array ? v : (v as { data: number[] }).data).toString('hex')
        : v,
    ),
  );
}

describe('frame wire format', () => {
  it('round-trips every codec, kind and control message', () => {
    for (const message of allMessages()) {
      const body = encodeMessage(message);
      assert.equal(body[0], WIRE_VERSION);
      assert.deepEqual(plain(decodeMessage(body)), plain(message), message.type);
    }
  });

  it('round-trips timestamps across the whole safe integer range and refuses the rest', () => {
    const edges = [
      0,
      -1,
      1,
      2 ** 32 - 1,
      2 ** 32,
      -(2 ** 32),
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    for (const timestamp of edges) {
      const message: LinkMessage = {
        type: 'frame',
        streamId: 's',
        frame: { ...audioFrame('opus'), timestamp },
      };
      const decoded = decodeMessage(encodeMessage(message));
      assert.equal(decoded.type === 'frame' && decoded.frame.timestamp, timestamp);
    }
    const body = encodeMessage({ type: 'frame', streamId: 's', frame: audioFrame('opus') });
    const tsAt = 2 + 2 + 3;
    for (const unsafe of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
      const copy = Buffer.from(body);
      copy.writeBigInt64BE(unsafe, tsAt);
      assert.throws(() => decodeMessage(copy), WireFormatError, String(unsafe));
    }
  });

  it('prefixes the exact body length, big-endian, and keeps the payload as its own chunk', () => {
    const frame = videoFrame('h264', true, 5000);
    const chunks = encodeMessageChunks({ type: 'frame', streamId: 'x', frame });
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], frame.payload);
    const total = chunks.reduce((n, c) => n + c.byteLength, 0);
    assert.equal(Buffer.from(chunks[0]!).readUInt32BE(0), total - LENGTH_PREFIX_BYTES);
  });

  it('puts fields at their documented offsets', () => {
    const body = encodeMessage({ type: 'frame', streamId: 'ab', frame: videoFrame('vp9', true, 3) });
    // version, type, id length, id, kind, codec, flags
    assert.deepEqual([...body.subarray(0, 8)], [1, 0x10, 2, 0x61, 0x62, 2, 2, 1]);
    assert.equal(body.readBigInt64BE(8), BigInt(2 ** 40 + 12345));
    assert.equal(body.readUInt32BE(16), 90_000);
    assert.equal(body.readUInt16BE(20), 1920);
    assert.equal(body.readUInt16BE(22), 1080);
    assert.equal(body.readUInt32BE(24), 3);
    assert.equal(body.byteLength, 31);
  });

  it('rejects values it cannot encode', () => {
    const bad: MediaFrame[] = [
      { ...videoFrame('vp8', true), timestamp: 1.5 },
      { ...videoFrame('vp8', true), width: 70_000 },
      { ...videoFrame('vp8', true), clockRate: 0 },
      { ...audioFrame('opus'), channels: 0 },
      { ...videoFrame('vp8', true), codec: 'mpeg2' as 'vp8' },
    ];
    for (const frame of bad) {
      assert.throws(() => encodeMessage({ type: 'frame', streamId: 's', frame }), WireFormatError);
    }
    assert.throws(() => encodeMessage({ type: 'announce', streamId: 'x'.repeat(256) }), WireFormatError);
    assert.throws(() => encodeMessage({ type: 'announce', streamId: '' }), WireFormatError);
  });

  it('rejects specific malformed input with WireFormatError', () => {
    const valid = encodeMessage({ type: 'frame', streamId: 'ab', frame: videoFrame('vp8', true, 3) });
    const mutate = (at: number, value: number) => {
      const copy = Buffer.from(valid);
      copy[at] = value;
      return copy;
    };
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['version', mutate(0, 2)],
      ['type', mutate(1, 0x7f)],
      ['kind', mutate(5, 9)],
      ['codec', mutate(6, 0)],
      ['flags', mutate(7, 0x80)],
      ['payload length', mutate(27, 200)],
      ['trailing byte', Buffer.concat([valid, Buffer.from([0])])],
      ['bad utf-8 id', mutate(3, 0xff)],
    ];
    for (const [what, bytes] of cases) assert.throws(() => decodeMessage(bytes), WireFormatError, what);
  });

  it('fuzz: truncations and bit flips either decode to a valid message or throw WireFormatError', () => {
    const messages = allMessages().map((m) => encodeMessage(m));
    let decoded = 0;
    let rejected = 0;
    for (let round = 0; round < 20_000; round++) {
      const original = messages[round % messages.length]!;
      const bytes = Buffer.from(original);
      let mutated: Buffer = bytes;
      if (round % 3 === 0) {
        mutated = bytes.subarray(0, Math.floor(Math.random() * bytes.byteLength));
      } else {
        const flips = 1 + Math.floor(Math.random() * 4);
        for (let i = 0; i < flips; i++) {
          const at = Math.floor(Math.random() * bytes.byteLength);
          bytes[at]! ^= 1 << Math.floor(Math.random() * 8);
        }
      }
      try {
        const message = decodeMessage(mutated);
        // Whatever decoded must encode again to the same bytes: it is a valid message.
        assert.deepEqual(encodeMessage(message), mutated);
        decoded++;
      } catch (err) {
        if (!(err instanceof WireFormatError)) throw err;
        rejected++;
      }
    }
    assert.ok(rejected > 1000, `rejected ${rejected}`);
    assert.ok(decoded > 100, `decoded ${decoded}`); // flips inside payloads stay valid
  });
});

describe('message deframer', () => {
  const stream = (messages: LinkMessage[]) => Buffer.concat(messages.flatMap((m) => encodeMessageChunks(m)));

  it('reassembles messages from any split of the byte stream', () => {
    const messages = allMessages();
    const bytes = stream(messages);
    for (const maxPiece of [1, 3, 7, 64, 1500, bytes.byteLength]) {
      const deframer = new MessageDeframer(1 << 20);
      const out: LinkMessage[] = [];
      for (let at = 0; at < bytes.byteLength; ) {
        const n = 1 + Math.floor(Math.random() * maxPiece);
        for (const body of deframer.push(bytes.subarray(at, at + n))) out.push(decodeMessage(body));
        at += n;
      }
      assert.equal(deframer.bufferedBytes, 0);
      assert.deepEqual(out.map(plain), messages.map(plain), `pieces up to ${maxPiece}`);
    }
  });

  it('rejects a declared length over the limit before buffering the body', () => {
    const deframer = new MessageDeframer(1000);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1001);
    assert.throws(() => deframer.push(header), LinkProtocolError);
    assert.throws(() => new MessageDeframer(1000).push(Buffer.from([0, 0, 0, 1, 1])), LinkProtocolError);
  });

  it('stops after maxBodies and hands the rest out later', () => {
    const deframer = new MessageDeframer(1 << 20);
    const bytes = stream([
      { type: 'ping', id: 1 },
      { type: 'ping', id: 2 },
      { type: 'ping', id: 3 },
    ]);
    assert.equal(deframer.push(bytes, 1).length, 1);
    assert.equal(deframer.extract().length, 2);
  });
});
