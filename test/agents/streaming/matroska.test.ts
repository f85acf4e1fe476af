import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  annexBToLengthPrefixed,
  buildAvcC,
  lengthPrefixedToAnnexB,
  parseAvcC,
} from '../../../agents/streaming/codec-config.js';
import { FrameTimeline } from '../../../agents/streaming/frame-timeline.js';
import { encodeSize, readVint, UNKNOWN_SIZE } from '../../../agents/streaming/matroska/ebml.js';
import {
  MatroskaParseError,
  MatroskaReader,
  type MkvReadTrack,
} from '../../../agents/streaming/matroska/matroska-reader.js';
import { MatroskaWriter } from '../../../agents/streaming/matroska/matroska-writer.js';

interface Block {
  track: number;
  ms: number;
  key: boolean | undefined;
  data: string;
}

function parseAll(bytes: Buffer, chunk: number): { tracks: MkvReadTrack[]; blocks: Block[] } {
  let tracks: MkvReadTrack[] = [];
  const blocks: Block[] = [];
  const reader = new MatroskaReader({
    tracks: (t) => {
      tracks = t;
    },
    block: (t, ms, key, data) =>
      blocks.push({ track: t.number, ms, key, data: Buffer.from(data).toString('hex') }),
  });
  for (let o = 0; o < bytes.length; o += chunk) reader.push(bytes.subarray(o, o + chunk));
  return { tracks, blocks };
}

describe('EBML and Matroska', () => {
  it('encodes and decodes sizes at every length boundary', () => {
    for (const size of [0, 1, 126, 127, 128, 16382, 16383, 2 ** 21 - 2, 2 ** 21, 2 ** 35, 2 ** 49]) {
      const bytes = encodeSize(size);
      const v = readVint(bytes, 0);
      assert.equal(v?.value, size, `size ${size}`);
      assert.equal(v?.length, bytes.length);
      assert.equal(v?.unknown, false);
    }
    assert.equal(readVint(encodeSize(UNKNOWN_SIZE), 0)?.unknown, true);
    assert.equal(readVint(Buffer.from([0x40]), 0), undefined); // truncated
  });

  it('what the writer writes, the reader reads back, however the bytes are split', () => {
    const writer = new MatroskaWriter([
      { kind: 'video', codecId: 'V_VP8', width: 640, height: 360 },
      {
        kind: 'audio',
        codecId: 'A_OPUS',
        codecPrivate: Buffer.from('OpusHead'),
        sampleRate: 48000,
        channels: 2,
      },
    ]);
    const parts: Buffer[] = [writer.header()];
    const expected: Block[] = [];
    for (let i = 0; i < 300; i++) {
      const video = i % 3 === 0;
      const ms = i * 20 + (video ? 0 : 5);
      const key = video && i % 75 === 0;
      const data = Buffer.alloc(1 + (i % 7), i & 0xff);
      parts.push(...writer.block(video ? 1 : 2, ms, key || !video, data));
      expected.push({ track: video ? 1 : 2, ms, key: key || !video, data: data.toString('hex') });
    }
    const bytes = Buffer.concat(parts);
    for (const chunk of [1, 2, 3, 7, 64, 4096, bytes.length]) {
      const { tracks, blocks } = parseAll(bytes, chunk);
      assert.equal(tracks.length, 2);
      assert.deepEqual(
        tracks.map((t) => [t.kind, t.codecId, t.width, t.height, t.sampleRate, t.channels]),
        [
          ['video', 'V_VP8', 640, 360, 0, 0],
          ['audio', 'A_OPUS', 0, 0, 48000, 2],
        ],
      );
      assert.deepEqual(blocks, expected, `chunk ${chunk}`);
    }
  });

  it('rejects garbage with MatroskaParseError or waits for more, never loops', () => {
    let errors = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const bytes = Buffer.alloc(64);
      let x = seed;
      for (let i = 0; i < bytes.length; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        bytes[i] = x & 0xff;
      }
      try {
        new MatroskaReader({ tracks: () => {}, block: () => {} }).push(bytes);
      } catch (err) {
        assert.ok(err instanceof MatroskaParseError || err instanceof RangeError, String(err));
        errors++;
      }
    }
    assert.ok(errors > 0);
  });

  it('converts H.264 between Annex-B and length-prefixed NAL units, with avcC round trip', () => {
    const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01]);
    const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
    const idr = Buffer.from([0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01]);
    const annexB = Buffer.concat([
      Buffer.from([0, 0, 0, 1]),
      sps,
      Buffer.from([0, 0, 1]),
      pps,
      Buffer.from([0, 0, 0, 1]),
      idr,
    ]);
    const prefixed = annexBToLengthPrefixed(annexB);
    assert.equal(prefixed.readUInt32BE(0), sps.length);
    const back = lengthPrefixedToAnnexB(prefixed, 4);
    assert.deepEqual(
      back,
      Buffer.concat([
        Buffer.from([0, 0, 0, 1]),
        sps,
        Buffer.from([0, 0, 0, 1]),
        pps,
        Buffer.from([0, 0, 0, 1]),
        idr,
      ]),
    );
    const avc = parseAvcC(buildAvcC(sps, pps));
    assert.equal(avc?.lengthSize, 4);
    assert.deepEqual(
      avc?.sps.map((s) => Buffer.from(s)),
      [sps],
    );
    assert.deepEqual(
      avc?.pps.map((p) => Buffer.from(p)),
      [pps],
    );
    // Truncated length-prefixed data stops at the last whole NAL unit.
    assert.deepEqual(
      lengthPrefixedToAnnexB(prefixed.subarray(0, 4 + sps.length + 2), 4),
      Buffer.concat([Buffer.from([0, 0, 0, 1]), sps]),
    );
  });
});

describe('FrameTimeline', () => {
  it('anchors each kind at its first arrival, follows timestamps, re-anchors on reset and jumps', () => {
    let now = 1000;
    const timeline = new FrameTimeline(() => now);
    now = 1100;
    assert.equal(timeline.toMs('audio', 480_000, 48_000), 100);
    now = 1130;
    assert.equal(timeline.toMs('video', 9_000_000, 90_000), 130);
    now = 1500;
    assert.equal(timeline.toMs('audio', 480_000 + 48_000, 48_000), 1100);
    assert.equal(timeline.toMs('video', 9_000_000 + 45_000, 90_000), 630);
    // Small steps back (B-frames) are kept as they are.
    assert.equal(timeline.toMs('video', 9_000_000 + 36_000, 90_000), 530);
    // A new source: unrelated timestamps continue after what was written.
    timeline.reset();
    now = 1200;
    assert.equal(timeline.toMs('video', 5, 90_000), 631);
    // A forward jump of a minute is a discontinuity, not a minute of nothing.
    now = 1800;
    assert.equal(timeline.toMs('video', 5 + 60 * 90_000, 90_000), 800);
    assert.equal(timeline.reanchors, 1);
  });
});
