/**
 * Floor of the SFU's per-packet send cost in pure Node, run in a child pinned to the node's
 * core by sfu-bench.ts: the same packets (the bench clip's VP8 payloads) sent to a UDP sink
 *   udp      plain dgram send of a 12-byte header + payload
 *   udp+gcm  AES-128-GCM of each packet with node:crypto, then the same gather send
 *   own      OutgoingRtpStream (header template, SRTP AES-GCM, history) on a plain socket
 * Prints one JSON line: µs of process CPU per packet for each.
 *   node dist/bench/sfu/sfu-floor.js <sinkPort> <payloadsFile> [packets]
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { OutgoingRtpStream } from '../../agents/webrtc/outgoing/outgoing-rtp-stream.js';
import { createSrtpProtector, SRTP_AEAD_AES_128_GCM } from '../../agents/webrtc/srtp/srtp-protector.js';

const port = Number(process.argv[2]);
const payloads = (JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as string[]).map((b) =>
  Buffer.from(b, 'base64'),
);
const PACKETS = Number(process.argv[4] ?? 40_000);
const BURST = 500;
const socket = createSocket('udp4');

type Sender = (payload: Buffer, i: number) => void;

async function measure(send: Sender): Promise<number> {
  // Warm up (JIT, pools), then time bursts with a loop turn between (as the node sends).
  for (let i = 0; i < 2000; i++) send(payloads[i % payloads.length]!, i);
  await new Promise((r) => setTimeout(r, 50));
  const before = process.cpuUsage();
  for (let sent = 0; sent < PACKETS; sent += BURST) {
    for (let i = sent; i < sent + BURST; i++) send(payloads[i % payloads.length]!, i);
    await new Promise((r) => setImmediate(r));
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / PACKETS;
}

async function main(): Promise<void> {
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const key = randomBytes(16);
  const iv = Buffer.alloc(12);
  const results: Record<string, number> = {};
  results.udp = await measure((payload, i) => {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(i & 0xffff, 2);
    socket.send([header, payload], port, '127.0.0.1');
  });
  results['udp+gcm'] = await measure((payload, i) => {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(i & 0xffff, 2);
    iv.writeUInt32BE(i, 8);
    const cipher = createCipheriv('aes-128-gcm', key, iv);
    cipher.setAAD(header);
    const enc = cipher.update(payload);
    cipher.final();
    socket.send([header, enc, cipher.getAuthTag()], port, '127.0.0.1');
  });
  const stream = new OutgoingRtpStream({
    ssrc: 1234,
    payloadType: 96,
    clockRate: 90000,
    protector: createSrtpProtector({
      profile: SRTP_AEAD_AES_128_GCM,
      encryptionKey: key,
      salt: randomBytes(14),
    }),
    sink: {
      send: (parts) => {
        socket.send(parts as Buffer[], port, '127.0.0.1');
        return true;
      },
    },
    extensions: [{ id: 1, data: Buffer.from('0') }],
  });
  results.own = await measure((payload, i) => stream.sendPacket(payload, i * 3000, (i & 3) === 3));
  process.stdout.write(`${JSON.stringify(results)}\n`);
  socket.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
