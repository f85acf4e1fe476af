/**
 * SFU fan-out benchmark: one werift bot publishes ~1 Mbps VP8 (an ffmpeg-encoded clip) to a
 * webrtc node process (forked by a real Agent on a LocalBus), N werift bots subscribe. Per N:
 * node CPU (from /proc, % of one core), frames delivered vs sent, end-to-end latency
 * (bot send → node → bot frame complete). Bots run in this process and share the machine.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sfu/sfu-bench.js [seconds] [N...]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../../agents/agent.js';
import { agentSchema } from '../../agents/config.js';
import { clusterManagerSchema } from '../../cluster-manager/config.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { rpcSchema } from '../../common/config/base-schema.js';
import { configureLogging } from '../../common/logger.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { readIvf } from '../../test/agents/webrtc/ivf.js';
import { BotPeer, FakeController, FramePump, waitFor } from '../../test/agents/webrtc/webrtc-bots.js';

const SECONDS = Number(process.argv[2] ?? 10);
const COUNTS = process.argv.slice(3).map(Number);
if (COUNTS.length === 0) COUNTS.push(1, 10, 25, 50);
const CONTROLLER = 'bench-controller';
const CLK_TCK = 100;

function encodeClip(): Uint8Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'ms-sfu-bench-'));
  try {
    const file = join(dir, 'clip.ivf');
    // ~1 Mbps: 640x480@30, keyframe every 2 s.
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi'],
      ...['-i', 'testsrc2=size=640x480:rate=30', '-vf', 'noise=alls=12:allf=t', '-t', '10'],
      ...['-c:v', 'libvpx', '-g', '60', '-b:v', '1M', '-minrate', '1M', '-maxrate', '1M'],
      ...['-deadline', 'realtime', '-cpu-used', '8', '-f', 'ivf', file],
    ]);
    return readIvf(file).frames.map((f) => f.payload);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  configureLogging({ level: 'warn' });
  const clip = encodeClip();
  const bytes = clip.reduce((n, f) => n + f.length, 0);
  process.env.MEDIASPREAD__webrtc__additionalHostAddresses = '["127.0.0.1"]';
  process.env.MEDIASPREAD__cluster__secret = 'sfu-bench-secret-0123456789abcdef';
  const bus = new LocalBus({ defaultTimeoutMs: 20_000 });
  const manager = await runClusterManager(bus, clusterManagerSchema.parse({}));
  const ctl = new FakeController();
  const ctlServer = await ctl.serve(bus, CONTROLLER);
  const pids = new Set<number>();
  const agent = new Agent({
    config: agentSchema.parse({ purpose: 'webrtc', id: 'bench-webrtc', nodes: { prerun: 1, max: 8 } }),
    bus,
    nodeRpc: rpcSchema.parse({ transport: 'local', defaultTimeoutMs: 20_000 }),
    attachChild: (child) => {
      if (child.pid) pids.add(child.pid);
      bus.attachChild(child);
    },
    logLevel: 'warn',
  });
  await agent.start();
  console.log(
    `clip: ${clip.length} frames, ${((bytes * 8 * 30) / clip.length / 1e6).toFixed(2)} Mbps at 30 fps`,
  );
  console.log(
    '\n| N | node CPU % of a core | node µs per sent packet | packets/s sent | bots CPU % | packet loss after NACK | frames delivered | latency p50 ms | p95 ms |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [run, n] of COUNTS.entries()) {
    const task = `bench-${run}`;
    const nodeId = await bus.call<string>('bench-webrtc', 'getNode', [{ task, room: 'bench' }]);
    const pid = agent.listNodes().find((v) => v.id === nodeId)!.pid;
    const spec = { room: 'bench', owner: 'pub', controller: CONTROLLER };
    const bots: BotPeer[] = [];
    const pubId = `${task}-pub`;
    await bus.call(nodeId, 'createTransport', [pubId, spec]);
    const publisher = new BotPeer(['vp8']);
    bots.push(publisher);
    const video = publisher.addSendonly('video');
    await publisher.pc.setLocalDescription(await publisher.pc.createOffer());
    await bus.call(nodeId, 'publish', [pubId, pubId, [{ type: 'video', mid: video.mid }]]);
    let mark = ctl.transport.length;
    await bus.call(nodeId, 'onTransportSignaling', [pubId, { type: 'offer', sdp: await publisher.offer() }]);
    await publisher.answer(await ctl.answerFor(pubId, mark));
    const pump = new FramePump(video, 'vp8', clip, 3000);
    pump.start(33);
    const latencies: number[] = [];
    let delivered = 0;
    let measuring = false;
    const index = new Map(clip.map((f, i) => [Buffer.from(f).toString('base64').slice(0, 64) + f.length, i]));
    for (let i = 0; i < n; i++) {
      const subId = `${task}-sub-${i}`;
      await bus.call(nodeId, 'createTransport', [subId, { ...spec, owner: subId }]);
      const bot = new BotPeer(['vp8']);
      bots.push(bot);
      const recv = bot.addRecvonly('video');
      await bot.pc.setLocalDescription(await bot.pc.createOffer());
      await bus.call(nodeId, 'subscribe', [subId, subId, [{ type: 'video', mid: recv.mid, from: pubId }]]);
      mark = ctl.transport.length;
      await bus.call(nodeId, 'onTransportSignaling', [subId, { type: 'offer', sdp: await bot.offer() }]);
      await bot.answer(await ctl.answerFor(subId, mark));
      bot.onFrame = (frame) => {
        if (!measuring) return;
        delivered++;
        const k = index.get(
          Buffer.from(frame.payload).toString('base64').slice(0, 64) + frame.payload.length,
        );
        const sentAt = k === undefined ? undefined : pump.lastSentAt[k];
        if (sentAt !== undefined) latencies.push(performance.now() - sentAt);
      };
    }
    await waitFor(
      () => bots.slice(1).every((b) => b.received.length > 0),
      30_000,
      'every subscriber receives',
    );
    await new Promise((r) => setTimeout(r, 2000));
    const subIds = Array.from({ length: n }, (_, i) => `${task}-sub-${i}`);
    const nodePackets = async () => {
      let total = 0;
      for (const id of subIds) {
        const stats = await bus.call<{ sessions: { packets: number }[] }>(nodeId, 'getStats', [id]);
        for (const s of stats.sessions) total += s.packets;
      }
      return total;
    };
    const botLoss = () =>
      bots.slice(1).reduce(
        (acc, b) => {
          const s = b.packetStats();
          return { lost: acc.lost + s.lost, received: acc.received + s.received };
        },
        { lost: 0, received: 0 },
      );
    const lossBefore = botLoss();
    const packetsBefore = await nodePackets();
    const sentBefore = pump.sent;
    const cpuBefore = cpuSeconds(pid);
    const botsBefore = process.cpuUsage();
    const t0 = performance.now();
    measuring = true;
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    measuring = false;
    const elapsed = (performance.now() - t0) / 1000;
    const nodeCpu = cpuSeconds(pid) - cpuBefore;
    const botsUsage = process.cpuUsage(botsBefore);
    const packets = (await nodePackets()) - packetsBefore;
    const cpu = (100 * nodeCpu) / elapsed;
    const botsCpu = (100 * (botsUsage.user + botsUsage.system)) / 1e6 / elapsed;
    const expected = (pump.sent - sentBefore) * n;
    const lossAfter = botLoss();
    const lost = lossAfter.lost - lossBefore.lost;
    const lossPct = (100 * lost) / Math.max(1, lost + lossAfter.received - lossBefore.received);
    const cells = [
      n,
      cpu.toFixed(0),
      ((nodeCpu * 1e6) / Math.max(1, packets)).toFixed(1),
      (packets / elapsed).toFixed(0),
      botsCpu.toFixed(0),
      `${lossPct.toFixed(2)} %`,
      `${((100 * delivered) / expected).toFixed(1)} %`,
      percentile(latencies, 50).toFixed(1),
      percentile(latencies, 95).toFixed(1),
    ];
    console.log(`| ${cells.join(' | ')} |`);
    pump.stop();
    for (let i = 0; i < n; i++) await bus.call(nodeId, 'destroyTransport', [`${task}-sub-${i}`]);
    await bus.call(nodeId, 'destroyTransport', [pubId]);
    for (const bot of bots) await bot.close();
    await bus.call('bench-webrtc', 'recycleNode', [nodeId, task]);
  }
  await agent.stop();
  await ctlServer.close();
  await manager.stop();
  await bus.close();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
