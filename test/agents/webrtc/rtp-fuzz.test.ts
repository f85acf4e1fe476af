import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDepacketizer, createPacketizer, RTP_CODECS } from '../../../agents/webrtc/rtp/codecs.js';
import { parseRtcpCompound } from '../../../agents/webrtc/rtp/rtcp-packets.js';
import { RtcpParseError, RtpParseError } from '../../../agents/webrtc/rtp/rtp-errors.js';
import { parseRtpPacket, serializeRtpPacket } from '../../../agents/webrtc/rtp/rtp-packet.js';
import { RtpReceiveStream } from '../../../agents/webrtc/rtp/rtp-receive-stream.js';
import { RtpStreamSender } from '../../../agents/webrtc/rtp/rtp-stream-sender.js';
import { av1Frame, createRandom, h264Frame, opusFrame, vp8Frame, vp9Frame } from './rtp-fixtures.js';

const ITERATIONS = 3000;

function randomBuffer(rand: () => number, maxLen: number): Uint8Array {
  const out = new Uint8Array(Math.floor(rand() * maxLen));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** Flips a few bits and sometimes truncates: near-valid input reaches deeper code. */
function mutate(rand: () => number, input: Uint8Array): Uint8Array {
  const out = input.slice(0, rand() < 0.3 ? Math.floor(rand() * (input.length + 1)) : input.length);
  const flips = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < flips && out.length > 0; i++)
    out[Math.floor(rand() * out.length)]! ^= 1 << Math.floor(rand() * 8);
  return out;
}

function only(errorClass: typeof RtpParseError | typeof RtcpParseError, fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof errorClass, `unexpected ${String(err)}`);
  }
}

const FRAMES = {
  vp8: (r: () => number) => vp8Frame(r, r() < 0.5, 600),
  vp9: (r: () => number) => vp9Frame(r, r() < 0.5, 600),
  h264: (r: () => number) => h264Frame(r, r() < 0.5, [100, 500]),
  av1: (r: () => number) => av1Frame(r, r() < 0.5, 600),
  opus: (r: () => number) => opusFrame(r, 100),
};

describe('malformed input never escapes as anything but the named errors', () => {
  it('RTP packet parser: random bytes and mutated valid packets', () => {
    const rand = createRandom(1);
    const valid = serializeRtpPacket({
      payloadType: 96,
      marker: false,
      sequenceNumber: 1,
      timestamp: 2,
      ssrc: 3,
      csrcs: [4, 5],
      extensionProfile: 0xbede,
      extensions: [{ id: 3, data: Uint8Array.of(1, 2, 3) }],
      payload: new Uint8Array(30).fill(9),
      paddingSize: 3,
    });
    for (let i = 0; i < ITERATIONS; i++) {
      only(RtpParseError, () => parseRtpPacket(randomBuffer(rand, 64)));
      only(RtpParseError, () => {
        const p = parseRtpPacket(mutate(rand, valid));
        assert.ok(p.payload.length <= valid.length);
      });
    }
  });

  it('RTCP compound parser: random bytes and mutated compounds', () => {
    const rand = createRandom(2);
    const valid = Buffer.from(
      '81c90007000000071122334419fffffd0001fffe0000004dabcdef0100010000' +
        '81ce00020000000100000002' +
        '81cd0003000000010000000200050003',
      'hex',
    );
    assert.equal(parseRtcpCompound(valid).errors.length, 0);
    for (let i = 0; i < ITERATIONS; i++) {
      for (const input of [randomBuffer(rand, 80), mutate(rand, valid)]) {
        const { packets, errors } = parseRtcpCompound(input);
        assert.ok(errors.every((e) => e instanceof RtcpParseError));
        for (const p of packets) if (p.type === 'nack') assert.ok(p.lost.every((s) => s >= 0 && s <= 0xffff));
      }
    }
  });

  for (const codec of RTP_CODECS) {
    it(`${codec} depacketizer and receive stream`, () => {
      const rand = createRandom(3 + codec.length);
      const depacketizer = createDepacketizer(codec);
      const sender = new RtpStreamSender({
        ssrc: 1,
        payloadType: 96,
        clockRate: 90000,
        packetizer: createPacketizer(codec),
        maxPayloadSize: 200,
      });
      let frames = 0;
      const rx = new RtpReceiveStream({ codec, ssrc: 1, onFrame: () => frames++ });
      const started = Date.now();
      for (let i = 0; i < ITERATIONS / 10; i++) {
        const packets = sender.packetizeFrame({ payload: FRAMES[codec](rand).payload, timestamp: i * 3000 });
        const payloads = packets.map((p) => (rand() < 0.5 ? mutate(rand, p.payload) : p.payload));
        only(RtpParseError, () => depacketizer.assemble(payloads));
        only(RtpParseError, () => depacketizer.isFrameStart(randomBuffer(rand, 20)));
        only(RtpParseError, () => depacketizer.assemble([randomBuffer(rand, 300), randomBuffer(rand, 300)]));
        packets.forEach((p, j) => {
          rx.receive({ ...p, payload: payloads[j]! }, i * 10);
        });
        rx.poll(i * 10);
      }
      assert.ok(Date.now() - started < 20_000, 'bounded time');
      assert.ok(frames <= ITERATIONS / 10);
    });
  }
});
