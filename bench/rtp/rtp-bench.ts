/**
 * RTP hot-path benchmark: packetize (frame → RTP bytes) and receive (RTP bytes → parse →
 * reorder → assemble → MediaFrame) per codec, and the receive path under 5 % loss with
 * reordering. Prints a markdown table.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/rtp/rtp-bench.js [seconds-per-case]
 */
import { createPacketizer, type RtpCodec, rtpClockRate } from '../../agents/webrtc/rtp/codecs.js';
import { parseRtpPacket, serializeRtpPacket } from '../../agents/webrtc/rtp/rtp-packet.js';
import { RtpReceiveStream } from '../../agents/webrtc/rtp/rtp-receive-stream.js';
import { RtpStreamSender } from '../../agents/webrtc/rtp/rtp-stream-sender.js';
import {
  av1Frame,
  createRandom,
  h264Frame,
  opusFrame,
  shuffleWithin,
  type TestFrame,
  vp8Frame,
  vp9Frame,
} from '../../test/agents/webrtc/rtp-fixtures.js';

const SECONDS = Number(process.argv[2] ?? 1);
const FRAMES = 300;
const MTU_PAYLOAD = 1200;

/** ~1.2 Mbps at 30 fps: 4 KB delta frames, 30 KB keyframes every 60 frames. */
function makeFrames(codec: RtpCodec): TestFrame[] {
  const rand = createRandom(42);
  return Array.from({ length: FRAMES }, (_, i) => {
    const key = i % 60 === 0;
    const size = key ? 30_000 : 3_500 + Math.floor(rand() * 1_000);
    switch (codec) {
      case 'vp8':
        return vp8Frame(rand, key, size);
      case 'vp9':
        return vp9Frame(rand, key, size);
      case 'h264':
        return h264Frame(rand, key, key ? [size / 2, size / 2] : [size]);
      case 'av1':
        return av1Frame(rand, key, size);
      default:
        return opusFrame(rand, 80 + Math.floor(rand() * 80));
    }
  });
}

function frameTicks(codec: RtpCodec): number {
  return codec === 'opus' ? 960 : 3000;
}

function packetizeAll(codec: RtpCodec, frames: TestFrame[], seq = 0): Uint8Array[] {
  const sender = new RtpStreamSender({
    ssrc: 1,
    payloadType: 96,
    clockRate: rtpClockRate(codec),
    packetizer: createPacketizer(codec),
    maxPayloadSize: MTU_PAYLOAD,
    initialSequenceNumber: seq,
    initialTimestamp: 0,
  });
  const out: Uint8Array[] = [];
  const ticks = frameTicks(codec);
  for (let i = 0; i < frames.length; i++) {
    for (const p of sender.packetizeFrame({ payload: frames[i]!.payload, timestamp: i * ticks })) {
      out.push(serializeRtpPacket(p));
    }
  }
  return out;
}

interface Row {
  case: string;
  packets: number;
  seconds: number;
  frames?: number;
}

/** Repeats `round` (which returns packets processed) until SECONDS elapsed, after a warm-up. */
function measure(name: string, round: () => { packets: number; frames?: number }): Row {
  for (let i = 0; i < 3; i++) round();
  let packets = 0;
  let frames = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  let rounds = 0;
  while (elapsed < SECONDS && rounds < 1_000_000) {
    const r = round();
    packets += r.packets;
    frames += r.frames ?? 0;
    rounds++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return { case: name, packets, seconds: elapsed, frames };
}

function receiveRound(codec: RtpCodec, wire: Uint8Array[], expectFrames: number, lossy: boolean) {
  let frames = 0;
  const rx = new RtpReceiveStream({
    codec,
    ssrc: 1,
    maxReorderWaitMs: 100,
    onFrame: () => frames++,
    onNack: () => {},
  });
  let now = 0;
  for (let i = 0; i < wire.length; i++) {
    rx.receive(parseRtpPacket(wire[i]!), now);
    if ((i & 7) === 7) {
      now += 5;
      rx.poll(now);
    }
  }
  rx.poll(now + 1000);
  if (!lossy && frames !== expectFrames) throw new Error(`${codec}: ${frames} of ${expectFrames} frames`);
  return { packets: wire.length, frames };
}

const rows: Row[] = [];
for (const codec of ['vp8', 'vp9', 'h264', 'av1', 'opus'] as const) {
  const frames = makeFrames(codec);
  rows.push(
    measure(`${codec} packetize`, () => ({ packets: packetizeAll(codec, frames).length, frames: FRAMES })),
  );
  const wire = packetizeAll(codec, frames, 65000);
  rows.push(
    measure(`${codec} receive (parse+reorder+assemble)`, () => receiveRound(codec, wire, FRAMES, false)),
  );
  if (codec === 'vp8' || codec === 'h264') {
    const rand = createRandom(7);
    const lossy = shuffleWithin(
      wire.filter(() => rand() >= 0.05),
      4,
      rand,
    );
    rows.push(
      measure(`${codec} receive, 5 % loss + reorder`, () => receiveRound(codec, lossy, FRAMES, true)),
    );
  }
}

console.log(
  `Node ${process.version}, ${SECONDS}s per case, ${FRAMES} frames per round, payload MTU ${MTU_PAYLOAD}\n`,
);
console.log('| case | packets/s | µs/packet | frames/s |');
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  const pps = r.packets / r.seconds;
  const fps = (r.frames ?? 0) / r.seconds;
  console.log(
    `| ${r.case} | ${Math.round(pps).toLocaleString('en-US')} | ${((1e6 * r.seconds) / r.packets).toFixed(2)} | ${Math.round(fps).toLocaleString('en-US')} |`,
  );
}
