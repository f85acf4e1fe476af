/**
 * SFU fan-out benchmark: one werift bot publishes ~1 Mbps VP8 (an ffmpeg-encoded clip) to a
 * webrtc node process (forked by a real Agent on a LocalBus), N subscriber bots receive it.
 * The bots live in child processes (sfu-bot-worker.ts, a slice of N each) so that the node's
 * limit is what is measured; with two or more cores the node is pinned to core 0 (taskset) and
 * everything else (this process, publisher, bots) to core 1.
 *
 * Per outgoing path (`werift`: RTCRtpSender.sendRtp, `own`: our header/SRTP/send path) and N:
 * node CPU (% of its core), CPU µs per sent packet, loss after NACK, frames delivered, latency
 * publisher send → last packet of the frame at the bot (epoch clock, same machine).
 * The floor (pure Node UDP send, + AES-GCM, our OutgoingRtpStream on a plain socket) runs first
 * in a child on the node's core. `--profile` adds a `--cpu-prof` run of the own path at the
 * largest N and prints where the node's time goes.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sfu/sfu-bench.js [--seconds 10] \
 *     [--paths werift,own] [--werift-counts 1,100] [--workers 2] [--profile] N...
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RTCRtpTransceiver, RtpHeader, RtpPacket as WeriftRtpPacket } from 'werift';
import { Agent } from '../../agents/agent.js';
import { agentSchema } from '../../agents/config.js';
import { createPacketizer } from '../../agents/webrtc/rtp/codecs.js';
import { RtpStreamSender } from '../../agents/webrtc/rtp/rtp-stream-sender.js';
import { clusterManagerSchema } from '../../cluster-manager/config.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { rpcSchema } from '../../common/config/base-schema.js';
import { configureLogging } from '../../common/logger.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { readIvf } from '../../test/agents/webrtc/ivf.js';
import { BotPeer, FakeController } from '../../test/agents/webrtc/webrtc-bots.js';
import type { BotSliceReport, FrameWindow } from './sfu-bot-worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const CONTROLLER = 'bench-controller';
const CLK_TCK = 100;
const FPS = 30;
const JOIN_SLICE = 10;

interface Options {
  seconds: number;
  paths: ('own' | 'werift')[];
  workers: number;
  profile: boolean;
  counts: number[];
  /** N for the werift path (default: the same as `counts`); it collapses far earlier. */
  weriftCounts: number[] | undefined;
  /** Writes every [frame number, latency ms] of each run here (JSON per line), for analysis. */
  dumpLatencies: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 10,
    paths: ['werift', 'own'],
    workers: 2,
    profile: false,
    counts: [],
    weriftCounts: undefined,
    dumpLatencies: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--paths') o.paths = argv[++i]!.split(',').filter((p) => p !== 'none') as Options['paths'];
    else if (a === '--workers') o.workers = Number(argv[++i]);
    else if (a === '--profile') o.profile = true;
    else if (a === '--werift-counts') o.weriftCounts = argv[++i]!.split(',').map(Number);
    else if (a === '--dump-latencies') o.dumpLatencies = argv[++i];
    else o.counts.push(Number(a));
  }
  if (o.counts.length === 0) o.counts.push(1, 50, 100, 200);
  return o;
}

const epochNow = () => performance.timeOrigin + performance.now();
const pinnable = availableParallelism() >= 2;

/** Pins every thread of a process to one core (no-op on a single core). */
function pin(pid: number, core: number): void {
  if (!pinnable) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  } catch {
    // taskset missing: unpinned (the report says so)
  }
}

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

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The publisher's camera: loops over the clip at 30 fps through werift's sender and appends
 * the frame number (4 bytes) to every frame so that bots can tell frames apart without
 * decoding (the node forwards frames byte for byte).
 */
class NumberedPump {
  private timer: NodeJS.Timeout | undefined;
  readonly sentAt: number[] = [];
  sent = 0;
  private readonly sender: RtpStreamSender;

  constructor(
    private readonly transceiver: RTCRtpTransceiver,
    private readonly frames: Uint8Array[],
  ) {
    this.sender = new RtpStreamSender({
      ssrc: transceiver.sender.ssrc,
      payloadType: 96,
      clockRate: 90000,
      packetizer: createPacketizer('vp8'),
    });
  }

  start(): void {
    this.timer = setInterval(() => this.sendNext(), 1000 / FPS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sendNext(): void {
    const k = this.sent++;
    const frame = this.frames[k % this.frames.length]!;
    const payload = new Uint8Array(frame.length + 4);
    payload.set(frame);
    new DataView(payload.buffer).setUint32(frame.length, k);
    this.sentAt[k] = epochNow();
    for (const p of this.sender.packetizeFrame({ payload, timestamp: k * (90000 / FPS) })) {
      const header = new RtpHeader({
        payloadType: p.payloadType,
        marker: p.marker,
        sequenceNumber: p.sequenceNumber,
        timestamp: p.timestamp,
        ssrc: p.ssrc,
      });
      void this.transceiver.sender.sendRtp(new WeriftRtpPacket(header, Buffer.from(p.payload)));
    }
  }
}

/** One bot worker process and a request/response helper over its IPC channel. */
class BotWorker {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, ((m: Record<string, unknown>) => void)[]>();

  constructor() {
    this.child = fork(join(here, 'sfu-bot-worker.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: Record<string, unknown>) => {
      const key = m.type === 'answered' ? `answered:${String(m.id)}` : String(m.type);
      this.waiting.get(key)?.shift()?.(m);
    });
  }

  request<T>(message: Record<string, unknown>, replyKey: string, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bot worker: no ${replyKey}`)), timeoutMs);
      const list = this.waiting.get(replyKey) ?? [];
      list.push((m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      this.waiting.set(replyKey, list);
      this.child.send(message);
    });
  }

  close(): void {
    if (this.child.connected) this.child.send({ type: 'close' });
    setTimeout(() => kill(this.child.pid), 2000).unref();
  }
}

interface Row {
  path: string;
  n: number;
  cpu: number;
  usPerPacket: number;
  packetsPerSecond: number;
  botsCpu: number;
  loss: number;
  delivered: number;
  p50: number;
  p95: number;
  /** Latency of keyframes alone (the burst × N). */
  keyP50: number;
  /** Bots that received media (of N). */
  ready: number;
}

/** VP8: bit 0 of the first byte is 0 on keyframes. */
function isKeyframe(frame: Uint8Array): boolean {
  return (frame[0]! & 1) === 0;
}

async function runFloor(clip: Uint8Array[]): Promise<Record<string, number>> {
  const packetizer = createPacketizer('vp8');
  const payloads = clip
    .flatMap((f) => packetizer.packetize(f, 1200))
    .map((p) => Buffer.from(p).toString('base64'));
  const dir = mkdtempSync(join(tmpdir(), 'ms-sfu-floor-'));
  const file = join(dir, 'payloads.json');
  writeFileSync(file, JSON.stringify(payloads));
  const sink = createSocket('udp4');
  let received = 0;
  sink.on('message', () => received++);
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const child = fork(join(here, 'sfu-floor.js'), [String(sink.address().port), file], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  try {
    if (child.pid) pin(child.pid, 0);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await new Promise((r) => child.once('exit', r));
    return JSON.parse(out.trim()) as Record<string, number>;
  } finally {
    kill(child.pid);
    sink.close();
    rmSync(dir, { recursive: true, force: true });
    void received;
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  configureLogging({ level: 'warn' });
  pin(process.pid, 1);
  const clip = encodeClip();
  const bytes = clip.reduce((n, f) => n + f.length, 0);
  console.log(
    `clip: ${clip.length} frames, ${((bytes * 8 * FPS) / clip.length / 1e6).toFixed(2)} Mbps at ${FPS} fps; ` +
      `${pinnable ? 'node pinned to core 0, publisher + bots to core 1' : 'one core: nothing pinned'}`,
  );
  const packetsOf = (f: Uint8Array) => createPacketizer('vp8').packetize(f, 1200).length;
  const keys = clip.filter(isKeyframe);
  const deltas = clip.filter((f) => !isKeyframe(f));
  const mean = (list: Uint8Array[]) => list.reduce((a, f) => a + packetsOf(f), 0) / Math.max(1, list.length);
  console.log(
    `keyframes: ${keys.length}, ${mean(keys).toFixed(1)} packets each; other frames ${mean(deltas).toFixed(1)} packets`,
  );
  const floor = await runFloor(clip);
  console.log('\nfloor (µs CPU per packet, child pinned to the node core):');
  console.log(
    '| plain UDP send | UDP send + AES-128-GCM (node:crypto) | own OutgoingRtpStream (template + SRTP GCM + send) |',
  );
  console.log('|---:|---:|---:|');
  console.log(`| ${floor.udp!.toFixed(1)} | ${floor['udp+gcm']!.toFixed(1)} | ${floor.own!.toFixed(1)} |`);

  console.log(
    '\n| path | N (receiving) | node CPU % of a core | node µs per sent packet | packets/s sent | bots CPU % | loss after NACK | frames delivered | latency p50 ms | p95 ms | keyframes p50 ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rows: Row[] = [];
  for (const path of options.paths) {
    const run = await startCluster(path, undefined);
    try {
      for (const n of path === 'werift' ? (options.weriftCounts ?? options.counts) : options.counts) {
        const row = await runOnce(run, path, n, clip, options);
        rows.push(row);
        console.log(formatRow(row));
      }
    } finally {
      await run.stop();
    }
  }
  if (options.profile) {
    const n = Math.max(...options.counts);
    const dir = mkdtempSync(join(tmpdir(), 'ms-sfu-prof-'));
    const run = await startCluster('own', dir);
    try {
      const row = await runOnce(run, 'own (profiled)', n, clip, options);
      console.log(formatRow(row));
    } finally {
      await run.stop();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const profiles = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    // The largest profile is the node's (the agent's other nodes idled).
    const biggest = profiles
      .map((f) => ({ f, size: readFileSync(join(dir, f)).length }))
      .sort((a, b) => b.size - a.size)[0];
    if (biggest) summarizeProfile(join(dir, biggest.f));
    else console.log('no CPU profile written');
    console.log(`profiles kept in ${dir}`);
  }
}

function formatRow(r: Row): string {
  const n = r.ready === r.n ? `${r.n}` : `${r.n} (${r.ready})`;
  return `| ${r.path} | ${n} | ${r.cpu.toFixed(0)} | ${r.usPerPacket.toFixed(1)} | ${r.packetsPerSecond.toFixed(0)} | ${r.botsCpu.toFixed(0)} | ${r.loss.toFixed(2)} % | ${r.delivered.toFixed(1)} % | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.keyP50.toFixed(1)} |`;
}

interface ClusterRun {
  bus: LocalBus;
  agent: Agent;
  ctl: FakeController;
  run: number;
  stop(): Promise<void>;
}

async function startCluster(path: 'own' | 'werift', profileDir: string | undefined): Promise<ClusterRun> {
  process.env.MEDIASPREAD__webrtc__additionalHostAddresses = '["127.0.0.1"]';
  process.env.MEDIASPREAD__cluster__secret = 'sfu-bench-secret-0123456789abcdef';
  process.env.MEDIASPREAD__webrtc__outgoingPath = path;
  // Forked nodes inherit execArgv (--cpu-prof is refused in NODE_OPTIONS).
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  process.execArgv.push(...profileArgs);
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
  if (profileArgs.length > 0) process.execArgv.splice(process.execArgv.length - profileArgs.length);
  return {
    bus,
    agent,
    ctl,
    run: 0,
    stop: async () => {
      await agent.stop();
      await ctlServer.close();
      await manager.stop();
      await bus.close();
      // Nodes exit on their own when the agent goes (profiles are written then); then by pid.
      await new Promise((r) => setTimeout(r, 1500));
      for (const pid of pids) kill(pid);
    },
  };
}

async function runOnce(c: ClusterRun, path: string, n: number, clip: Uint8Array[], o: Options): Promise<Row> {
  const { bus, agent, ctl } = c;
  const task = `bench-${path.replace(/\W/g, '')}-${c.run++}`;
  const nodeId = await bus.call<string>('bench-webrtc', 'getNode', [{ task, room: 'bench' }]);
  const pid = agent.listNodes().find((v) => v.id === nodeId)!.pid!;
  pin(pid, 0);
  const spec = { room: 'bench', owner: 'pub', controller: CONTROLLER };
  const pubId = `${task}-pub`;
  const publisher = new BotPeer(['vp8']);
  const workers: BotWorker[] = [];
  const pump = { current: undefined as NumberedPump | undefined };
  try {
    await bus.call(nodeId, 'createTransport', [pubId, spec]);
    const video = publisher.addSendonly('video');
    await publisher.pc.setLocalDescription(await publisher.pc.createOffer());
    await bus.call(nodeId, 'publish', [pubId, pubId, [{ type: 'video', mid: video.mid }]]);
    const mark = ctl.transport.length;
    await bus.call(nodeId, 'onTransportSignaling', [pubId, { type: 'offer', sdp: await publisher.offer() }]);
    await publisher.answer(await ctl.answerFor(pubId, mark));
    pump.current = new NumberedPump(video, clip);
    pump.current.start();

    const workerCount = Math.max(1, Math.min(o.workers, n));
    for (let w = 0; w < workerCount; w++) {
      const worker = new BotWorker();
      if (worker.child.pid) pin(worker.child.pid, 1);
      workers.push(worker);
    }
    const subIds = Array.from({ length: n }, (_, i) => `${task}-sub-${i}`);
    // Slices of 10 per worker and a pause keep gathering, DTLS handshakes and the keyframe
    // each join asks for from piling up on a node that is already fanning out.
    for (let i = 0; i < n; i += JOIN_SLICE * workerCount) {
      if (i > 0) await new Promise((r) => setTimeout(r, 300));
      await Promise.all(
        workers.map(async (worker, w) => {
          const ids = subIds.slice(i + w * JOIN_SLICE, i + (w + 1) * JOIN_SLICE);
          if (ids.length === 0) return;
          const { offers } = await worker.request<{ offers: { id: string; mid: string; sdp: string }[] }>(
            { type: 'create', ids },
            'offers',
          );
          for (const offer of offers) {
            try {
              await bus.call(nodeId, 'createTransport', [offer.id, { ...spec, owner: offer.id }]);
              await bus.call(nodeId, 'subscribe', [
                offer.id,
                offer.id,
                [{ type: 'video', mid: offer.mid, from: pubId }],
              ]);
              const before = ctl.transport.length;
              await bus.call(nodeId, 'onTransportSignaling', [offer.id, { type: 'offer', sdp: offer.sdp }]);
              const sdp = await ctl.answerFor(offer.id, before, 60_000);
              await worker.request({ type: 'answer', id: offer.id, sdp }, `answered:${offer.id}`);
            } catch (err) {
              // A busy node may miss one; the row says how many bots received.
              console.log(`(N=${n}: ${offer.id} not set up: ${(err as Error).message})`);
            }
          }
        }),
      );
    }
    const receiving = async () => {
      let total = 0;
      for (const w of workers)
        total += (await w.request<{ receiving: number }>({ type: 'status' }, 'status')).receiving;
      return total;
    };
    const deadline = Date.now() + 60_000;
    let ready = await receiving();
    while (ready < n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      ready = await receiving();
    }
    if (ready < n) console.log(`(N=${n}: only ${ready} bots receive after 60 s)`);
    await new Promise((r) => setTimeout(r, 3000));

    const nodePackets = async () => {
      let total = 0;
      for (const id of subIds) {
        const stats = await bus.call<{ sessions: { packets: number }[] }>(nodeId, 'getStats', [id]);
        for (const s of stats.sessions) total += s.packets;
      }
      return total;
    };
    const botPids = workers.map((w) => w.child.pid!).filter(Boolean);
    const botsCpu = () => botPids.reduce((sum, p) => sum + cpuSeconds(p), 0);
    // CPU and time bracket the packet counts (reading N sessions' stats takes a while).
    const cpuBefore = cpuSeconds(pid);
    const botsBefore = botsCpu();
    const t0 = performance.now();
    const packetsBefore = await nodePackets();
    const firstFrame = pump.current.sent;
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    const lastFrame = pump.current.sent - 1;
    const packets = (await nodePackets()) - packetsBefore;
    const elapsed = (performance.now() - t0) / 1000;
    const nodeCpu = cpuSeconds(pid) - cpuBefore;
    const botCpu = botsCpu() - botsBefore;
    // Late retransmissions of the window's last frames still count.
    await new Promise((r) => setTimeout(r, 1500));
    const sentAt: Record<number, number> = {};
    for (let f = firstFrame; f <= lastFrame; f++) sentAt[f] = pump.current.sentAt[f]!;
    const window: FrameWindow = { firstFrame, lastFrame, sentAt };
    const reports = await Promise.all(
      workers.map((w) => w.request<BotSliceReport>({ type: 'report', window }, 'report', 120_000)),
    );
    const total = reports.reduce(
      (acc, r) => ({
        lost: acc.lost + r.lost,
        expected: acc.expected + r.expected,
        delivered: acc.delivered + r.framesDelivered,
        framesExpected: acc.framesExpected + r.framesExpected,
      }),
      { lost: 0, expected: 0, delivered: 0, framesExpected: 0 },
    );
    const all: number[] = [];
    const key: number[] = [];
    for (const r of reports) {
      for (let i = 0; i + 1 < r.latencies.length; i += 2) {
        const ms = r.latencies[i + 1]!;
        all.push(ms);
        if (isKeyframe(clip[r.latencies[i]! % clip.length]!)) key.push(ms);
      }
    }
    if (o.dumpLatencies) {
      const pairs = reports.flatMap((r) => r.latencies);
      appendFileSync(o.dumpLatencies, `${JSON.stringify({ path, n, firstFrame, pairs })}\n`);
    }
    const latencies = all.sort((a, b) => a - b);
    key.sort((a, b) => a - b);
    const received = reports.reduce((a, r) => a + r.received, 0);
    const light = reports.reduce((a, r) => a + r.light, 0);
    if (light < received * 0.9)
      console.log(`(N=${n}: bots counted only ${light} of ${received} packets on their light path)`);
    return {
      path,
      n,
      cpu: (100 * nodeCpu) / elapsed,
      usPerPacket: (nodeCpu * 1e6) / Math.max(1, packets),
      packetsPerSecond: packets / elapsed,
      botsCpu: (100 * botCpu) / elapsed,
      loss: (100 * total.lost) / Math.max(1, total.expected),
      delivered: (100 * total.delivered) / Math.max(1, total.framesExpected),
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      keyP50: percentile(key, 50),
      ready,
    };
  } finally {
    pump.current?.stop();
    for (const w of workers) w.close();
    for (let i = 0; i < n; i++)
      await bus.call(nodeId, 'destroyTransport', [`${task}-sub-${i}`]).catch(() => {});
    await bus.call(nodeId, 'destroyTransport', [pubId]).catch(() => {});
    await publisher.close();
    await bus.call('bench-webrtc', 'recycleNode', [nodeId, task]).catch(() => {});
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time of a .cpuprofile by function and by area (GC, crypto, UDP, werift, ours…). */
function summarizeProfile(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...byNode.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = byNode.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byArea.set(area(functionName, url), (byArea.get(area(functionName, url)) ?? 0) + us);
  }
  const pct = (us: number) => ((100 * us) / total).toFixed(1);
  console.log(`\nprofile ${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled`);
  console.log('| area | % of samples |\n|---|---:|');
  for (const [k, v] of [...byArea].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${pct(v)} |`);
  console.log('\n| function (self time) | % |\n|---|---:|');
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`| ${k.replace(/\|/g, '/')} | ${pct(v)} |`);
  }
}

function area(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'native/other (program)';
  if (url.includes('internal/crypto') || /^(update|final|setAAD|getAuthTag|digest|Cipheriv|Hmac)$/.test(fn)) {
    return 'node:crypto (SRTP)';
  }
  if (url.includes('dgram') || url.includes('internal/dns') || /^(send|doSend)$/.test(fn))
    return 'UDP send (dgram)';
  if (url.includes('/werift/')) return 'werift (ICE/DTLS/RTCP receive)';
  if (url.includes('/agents/webrtc/outgoing/') || url.includes('/agents/webrtc/srtp/'))
    return 'own RTP path (JS)';
  if (url.includes('/agents/webrtc/') || url.includes('/common/media/'))
    return 'node: receive, router, packetizer';
  if (url.startsWith('node:')) return 'node internals (timers, streams, buffers)';
  return url ? 'other JS' : 'native/other';
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
