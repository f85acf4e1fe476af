/**
 * RPC round trip and throughput per transport: in-process, IPC-bridged (parent → forked
 * child) and AMQP (two connections to a private RabbitMQ started for the run).
 * Run: npx tsc -p tsconfig.json && node dist/bench/rpc/rpc-bench.js [--calls 2000] [--burst 20000]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import type { RpcBus } from '../../common/rpc/rpc-bus.js';
import { startPrivateRabbit } from '../../test/support/rabbitmq.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '2000' },
    burst: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const SEQUENTIAL = Number(values.calls);
const BURST = Number(values.burst);
const IN_FLIGHT = Number(values.inflight);
const ROUNDS = Number(values.rounds);
const PAYLOAD = { room: 'room-1', stream: 'stream-42', options: { audio: true, video: { codec: 'vp8' } } };

interface Row {
  transport: string;
  median: number;
  p99: number;
  /** Calls per second: median and best of the rounds (the machine is shared and noisy). */
  throughput: number;
  bestThroughput: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function measure(transport: string, caller: RpcBus, target: string): Promise<Row> {
  for (let i = 0; i < 200; i++) await caller.call(target, 'echo', [PAYLOAD]);
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const started = performance.now();
    await caller.call(target, 'echo', [PAYLOAD]);
    times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < BURST) {
        next++;
        await caller.call(target, 'echo', [PAYLOAD]);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    rates.push(BURST / ((performance.now() - started) / 1000));
  }
  rates.sort((x, y) => x - y);
  return {
    transport,
    median: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    throughput: percentile(rates, 0.5),
    bestThroughput: rates[rates.length - 1],
  };
}

async function benchLocal(): Promise<Row> {
  const bus = new LocalBus();
  const srv = await bus.serve('bench', { echo: (v: unknown) => v });
  try {
    return await measure('local (in-process)', bus, 'bench');
  } finally {
    await srv.close();
    await bus.close();
  }
}

async function benchIpc(): Promise<Row> {
  const bus = new LocalBus({ defaultTimeoutMs: 10_000 });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  await bus.serve('bench-ready', { ready: () => markReady() });
  const child = fork(
    fileURLToPath(new URL('./ipc-bench-child.js', import.meta.url)),
    ['bench-child', 'bench-ready'],
    {
      env: { ...process.env, MEDIASPREAD_LOG_LEVEL: 'warn' },
    },
  );
  bus.attachChild(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await ready;
    return await measure('ipc (parent → forked child)', bus, 'bench-child');
  } finally {
    child.kill('SIGKILL');
    await exited;
    await bus.close();
  }
}

async function benchAmqp(): Promise<{ rows: Row[]; brokerStartMs: number }> {
  const rabbit = await startPrivateRabbit();
  const buses: AmqpBus[] = [];
  try {
    const server = await AmqpBus.connect({ url: rabbit.url, connectionName: 'bench-server' });
    buses.push(server);
    const client = await AmqpBus.connect({
      url: rabbit.url,
      connectionName: 'bench-client',
      defaultTimeoutMs: 10_000,
    });
    buses.push(client);
    await server.serve('bench', { echo: (v: unknown) => v });
    const row = await measure('amqp (RabbitMQ, 2 connections, 1 process)', client, 'bench');
    const baseline = await rawAmqplib(rabbit.url);
    await server.close();
    const split = await withServerProcess(rabbit.url, () =>
      measure('amqp (RabbitMQ, server in another process)', client, 'bench'),
    );
    return { rows: [row, split, baseline], brokerStartMs: rabbit.startMs };
  } finally {
    await Promise.all(buses.map((b) => b.close()));
    await rabbit.stop();
  }
}

/**
 * The same request/reply with bare amqplib on the same broker (no bus, no JSON envelope, no
 * mandatory or expiration): tells the bus's own cost apart from the broker's and the machine's.
 */
async function rawAmqplib(url: string): Promise<Row> {
  const serverConn = await connect(url, { noDelay: true });
  const clientConn = await connect(url, { noDelay: true });
  try {
    const sch = await serverConn.createChannel();
    const cch = await clientConn.createChannel();
    await sch.assertQueue('raw-bench', { autoDelete: true });
    await sch.consume(
      'raw-bench',
      (m) =>
        m && sch.publish('', m.properties.replyTo, m.content, { correlationId: m.properties.correlationId }),
      { noAck: true },
    );
    const waiting = new Map<string, () => void>();
    let n = 0;
    await cch.consume(
      'amq.rabbitmq.reply-to',
      (m) => {
        const id = m?.properties.correlationId;
        waiting.get(id)?.();
        waiting.delete(id);
      },
      { noAck: true },
    );
    const body = Buffer.from(JSON.stringify(PAYLOAD));
    const raw: RpcBus = {
      call: <T>() =>
        new Promise<T>((resolve) => {
          const id = String(++n);
          waiting.set(id, () => resolve(undefined as T));
          cch.publish('', 'raw-bench', body, { correlationId: id, replyTo: 'amq.rabbitmq.reply-to' });
        }),
      cast: () => {},
      serve: () => Promise.reject(new Error('unused')),
      publish: () => {},
      subscribe: () => Promise.reject(new Error('unused')),
      acquireLeadership: () => Promise.reject(new Error('unused')),
      close: async () => {},
    };
    return await measure('baseline: bare amqplib, same broker', raw, 'raw-bench');
  } finally {
    await Promise.all([serverConn.close(), clientConn.close()]);
  }
}

/** Runs `body` while a forked process serves `bench` over AMQP, as servers do in production. */
async function withServerProcess<T>(url: string, body: () => Promise<T>): Promise<T> {
  const child = fork(fileURLToPath(new URL('./amqp-bench-server.js', import.meta.url)), [url], {
    env: { ...process.env, MEDIASPREAD_LOG_LEVEL: 'warn' },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
    });
    return await body();
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

const rows = [await benchLocal(), await benchIpc()];
const amqp = await benchAmqp();
rows.push(...amqp.rows);

console.log(
  `\nRPC bench: ${SEQUENTIAL} sequential calls, then ${ROUNDS} rounds of ${BURST} calls with ${IN_FLIGHT} in flight`,
);
console.log(`node ${process.version}; private RabbitMQ started in ${amqp.brokerStartMs.toFixed(0)} ms\n`);
console.log(
  `| transport | median round trip (ms) | p99 (ms) | calls/s, ${IN_FLIGHT} in flight (median of rounds) | best round |`,
);
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.transport} | ${r.median.toFixed(3)} | ${r.p99.toFixed(3)} | ${Math.round(r.throughput)} | ${Math.round(r.bestThroughput)} |`,
  );
}
