/**
 * Internal link throughput vs a raw TCP socket on 127.0.0.1, in one process (sender and
 * receiver share the CPU figures). Run: npx tsc -p tsconfig.json && node dist/bench/link/link-bench.js [seconds]
 * Prints a markdown table: achieved MB/s and frames/s, CPU (% of one core, both ends),
 * and CPU per 100 Mbit/s carried.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import type { MediaLink } from '../../common/links/media-link.js';
import { configureLogging } from '../../common/logger.js';
import type { MediaFrame } from '../../common/media/media-frame.js';

// Before the link modules load: they create their loggers at import time.
configureLogging({ level: process.env.MEDIASPREAD_LOG_LEVEL ?? 'warn' });
const { connectLink } = await import('../../common/links/connect-link.js');
const { LinkServer } = await import('../../common/links/link-server.js');

interface Run {
  /** `raw tcp`: a write per frame; `raw tcp batched`: writes of one tick coalesced, 1 MiB in flight, as the link does. */
  transport: 'raw tcp' | 'raw tcp batched' | 'media link';
  /** MB/s offered, or undefined for as fast as backpressure allows. */
  targetMBps: number | undefined;
  frameBytes: number;
}

interface Result extends Run {
  mbps: number;
  framesPerSecond: number;
  cpuPercent: number;
  cpuPer100Mbps: number;
}

const SECONDS = Number(process.argv[2] ?? 3);
const MB = 1_000_000;

/** Drives `send` at the target rate (or flat out) until the deadline; `canSend` is backpressure. */
async function drive(
  run: Run,
  canSend: () => boolean,
  send: (keyframe: boolean) => void,
  waitWritable: () => Promise<void>,
  deadline: number,
): Promise<void> {
  let sent = 0;
  let n = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    const due =
      run.targetMBps === undefined
        ? Number.POSITIVE_INFINITY
        : ((performance.now() - start) / 1000) * run.targetMBps * MB;
    let burst = 0;
    while (sent < due && canSend() && burst < 256) {
      send(n++ % 30 === 0);
      sent += run.frameBytes;
      burst++;
    }
    if (run.targetMBps !== undefined && sent >= due) {
      // Sleep until the next frame is due: one wake-up per frame, as a real source would.
      const nextDueMs = start + (sent / (run.targetMBps * MB)) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(1, nextDueMs - performance.now())));
    } else if (!canSend()) await Promise.race([waitWritable(), new Promise((r) => setTimeout(r, 50))]);
    else await new Promise((r) => setImmediate(r));
  }
}

async function measure(
  run: Run,
  start: () => Promise<{
    received: () => [bytes: number, frames: number];
    go: (deadline: number) => Promise<void>;
    stop: () => Promise<void>;
  }>,
): Promise<Result> {
  const rig = await start();
  // Warm-up: a short burst so connection setup and JIT stay out of the figures.
  await rig.go(performance.now() + 300);
  const [bytes0, frames0] = rig.received();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await rig.go(t0 + SECONDS * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const [bytes1, frames1] = rig.received();
  await rig.stop();
  const mbps = (bytes1 - bytes0) / MB / elapsed;
  const cpuPercent = ((cpu.user + cpu.system) / 1e6 / elapsed) * 100;
  const mbitps = mbps * 8;
  return {
    ...run,
    mbps,
    framesPerSecond: (frames1 - frames0) / elapsed,
    cpuPercent,
    cpuPer100Mbps: mbitps > 0 ? cpuPercent / (mbitps / 100) : Number.NaN,
  };
}

function rawRig(run: Run) {
  return async () => {
    let bytes = 0;
    const server = createServer((socket) => socket.on('data', (c: Buffer) => (bytes += c.byteLength)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client: Socket = createConnection({ host: '127.0.0.1', port, noDelay: true });
    await once(client, 'connect');
    const payload = Buffer.alloc(run.frameBytes, 7);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(run.frameBytes);
    let writable = true;
    let corked = false;
    const batched = run.transport === 'raw tcp batched';
    const send = () => {
      if (!batched) {
        client.cork();
        client.write(prefix);
        writable = client.write(payload);
        client.uncork();
        return;
      }
      if (!corked) {
        corked = true;
        client.cork();
        process.nextTick(() => {
          corked = false;
          client.uncork();
        });
      }
      client.write(prefix);
      client.write(payload);
      writable = client.writableLength < 1024 * 1024;
    };
    return {
      received: (): [number, number] => [bytes, Math.floor(bytes / (run.frameBytes + 4))],
      go: (deadline: number) =>
        drive(
          run,
          () => writable,
          send,
          () =>
            once(client, 'drain').then(() => {
              writable = true;
            }),
          deadline,
        ),
      stop: async () => {
        client.destroy();
        await new Promise((r) => server.close(r));
      },
    };
  };
}

function linkRig(run: Run) {
  return async () => {
    const secret = 'bench-secret';
    const server = await LinkServer.listen({ nodeId: 'bench-b', secret, host: '127.0.0.1', port: 0 });
    let bytes = 0;
    let frames = 0;
    server.on('link', (link) =>
      link.on('frame', (_id, f) => {
        bytes += f.payload.byteLength;
        frames++;
      }),
    );
    const link: MediaLink = await connectLink({
      host: server.host,
      port: server.port,
      localNodeId: 'bench-a',
      remoteNodeId: 'bench-b',
      secret,
    });
    const payload = Buffer.alloc(run.frameBytes, 7);
    let ts = 0;
    const frame = (keyframe: boolean): MediaFrame => {
      ts += 3000;
      return {
        kind: 'video',
        codec: 'vp8',
        keyframe,
        timestamp: ts,
        clockRate: 90_000,
        width: 0,
        height: 0,
        payload,
      };
    };
    return {
      received: (): [number, number] => [bytes, frames],
      go: (deadline: number) =>
        drive(
          run,
          () => link.writable,
          (keyframe) => {
            link.sendFrame('bench', frame(keyframe));
          },
          () => once(link, 'drain').then(() => undefined),
          deadline,
        ),
      stop: async () => {
        const dropped = link.stats().framesDropped;
        if (dropped > 0) console.error(`warning: ${dropped} frames dropped`);
        link.close('bench done');
        await server.close();
      },
    };
  };
}

const runs: Run[] = [];
for (const targetMBps of [1, 10, 100]) {
  for (const transport of ['raw tcp', 'media link'] as const)
    runs.push({ transport, targetMBps, frameBytes: 10_000 });
}
for (const frameBytes of [1_200, 10_000, 64_000, 500_000]) {
  for (const transport of ['raw tcp', 'raw tcp batched', 'media link'] as const)
    runs.push({ transport, targetMBps: undefined, frameBytes });
}

const results: Result[] = [];
for (const run of runs) {
  results.push(await measure(run, run.transport === 'media link' ? linkRig(run) : rawRig(run)));
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
console.log(
  `Node ${process.version}, ${SECONDS} s per row, sender and receiver in one process on 127.0.0.1\n`,
);
console.log(
  '| transport | offered | frame bytes | MB/s | frames/s | CPU % (one core) | CPU % per 100 Mbit/s |',
);
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  const offered = r.targetMBps === undefined ? 'max' : `${r.targetMBps} MB/s`;
  console.log(
    `| ${r.transport} | ${offered} | ${r.frameBytes} | ${fmt(r.mbps)} | ${fmt(r.framesPerSecond, 0)} | ${fmt(r.cpuPercent)} | ${fmt(r.cpuPer100Mbps, 2)} |`,
  );
}
