import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import {
  RpcConnectionLostError,
  RpcTargetUnavailableError,
  RpcTimeoutError,
} from '../../common/rpc/rpc-errors.js';
import { type PrivateRabbit, startPrivateRabbit } from '../support/rabbitmq.js';
import { waitFor, within } from './rpc-contract.js';

const CALL_TIMEOUT_MS = 1500;
const MAX_CALLS_PER_WORKER = 100_000;

let rabbit: PrivateRabbit | undefined;
const buses: AmqpBus[] = [];
after(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  await rabbit?.stop();
});

it('survives a broker restart in the middle of traffic', { timeout: 180_000 }, async () => {
  rabbit = await startPrivateRabbit();
  const open = async (name: string): Promise<AmqpBus> => {
    const bus = await AmqpBus.connect({
      url: rabbit!.url,
      connectionName: name,
      defaultTimeoutMs: CALL_TIMEOUT_MS,
    });
    buses.push(bus);
    return bus;
  };
  const server = await open('restart-server');
  const client = await open('restart-client');
  const events: string[] = [];
  for (const [who, bus] of [
    ['server', server],
    ['client', client],
  ] as const) {
    bus.on('disconnected', () => events.push(`${who} disconnected`));
    bus.on('connected', () => events.push(`${who} connected`));
  }

  let slowArrived = false;
  await server.serve('svc', {
    echo: (n: number) => n,
    slow: () => {
      slowArrived = true;
      return new Promise(() => {});
    },
  });
  const received: unknown[] = [];
  await client.subscribe('restart.events', (e) => received.push(e));
  const leadership = await server.acquireLeadership('restart-leader');

  // A stream of calls from a few workers; every outcome and duration is recorded.
  const outcomes: Array<{ ok: boolean; error?: string; ms: number; at: number }> = [];
  let running = true;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; running && i < MAX_CALLS_PER_WORKER; i++) {
      const started = Date.now();
      try {
        assert.equal(
          await client.call('svc', 'echo', [w * MAX_CALLS_PER_WORKER + i]),
          w * MAX_CALLS_PER_WORKER + i,
        );
        outcomes.push({ ok: true, ms: Date.now() - started, at: started });
      } catch (err) {
        outcomes.push({ ok: false, error: (err as Error).name, ms: Date.now() - started, at: started });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const workers = [0, 1, 2, 3].map(worker);
  await waitFor(() => outcomes.filter((o) => o.ok).length >= 200, 10_000, 'traffic before the restart');

  const slow = client.call('svc', 'slow', [], { timeoutMs: 60_000 });
  const slowCheck = assert.rejects(slow, RpcConnectionLostError);
  await waitFor(() => slowArrived, 5000, 'slow call to arrive');

  // Served by the caller's own connection, so it is back as soon as the caller is.
  await client.serve('self-svc', { echo: (n: number) => n });
  const restartAt = Date.now();
  const restarting = rabbit.restart();
  await waitFor(() => !client.connected, 20_000, 'the client to notice the outage');
  // Made while disconnected: waits for the reconnection within its own timeout.
  const patient = client.call('self-svc', 'echo', [7], { timeoutMs: 60_000 });
  await restarting;
  const backAt = Date.now();
  console.log(`# broker restart took ${backAt - restartAt} ms (start ${rabbit.startMs.toFixed(0)} ms)`);

  await within(slowCheck, 1000, 'in-flight call rejected with RpcConnectionLostError');
  await within(leadership.lost, 1000, 'leadership lost with the connection');
  assert.equal(await within(patient, 15_000, 'call made during the outage'), 7);

  // After the broker is back: calls succeed again within a bounded time.
  await waitFor(
    () => outcomes.some((o) => o.ok && o.at > backAt),
    15_000,
    'a successful call after the restart',
  );
  const recoveredAt = outcomes.find((o) => o.ok && o.at > backAt)?.at ?? 0;
  console.log(`# first successful call ${recoveredAt - backAt} ms after the broker was back`);

  // Subscriptions deliver again.
  for (let i = 0; i < 100 && received.length === 0; i++) {
    server.publish('restart.events', { i });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(received.length > 0, 'no monitor event after the restart');

  // Leadership can be competed for again.
  const again = await within(server.acquireLeadership('restart-leader'), 10_000, 'leadership again');
  await again.release();

  // Traffic keeps flowing for a while after recovery: these calls must all succeed.
  await waitFor(
    () => outcomes.filter((o) => o.at > recoveredAt + 500).length >= 200,
    15_000,
    'calls after the recovery',
  );
  running = false;
  await within(Promise.all(workers), CALL_TIMEOUT_MS + 5000, 'workers stop');

  const failures = outcomes.filter((o) => !o.ok);
  const kinds = new Set(failures.map((o) => o.error));
  console.log(
    `# ${outcomes.length} calls, ${failures.length} failed (${[...kinds].join(', ')}); events: ${events.join(', ')}`,
  );
  const allowed = new Set([
    RpcConnectionLostError.name,
    RpcTimeoutError.name,
    RpcTargetUnavailableError.name,
  ]);
  for (const kind of kinds) assert.ok(allowed.has(kind ?? ''), `unexpected failure ${kind}`);
  const longest = Math.max(...outcomes.map((o) => o.ms));
  assert.ok(longest <= CALL_TIMEOUT_MS + 1000, `a call took ${longest} ms (timeout ${CALL_TIMEOUT_MS})`);
  assert.ok(failures.length > 0, 'the restart caused no failure at all: was the broker really restarted?');
  assert.ok(events.includes('client disconnected') && events.includes('client connected'));
  assert.ok(events.includes('server disconnected') && events.includes('server connected'));
  // Calls made after recovery all succeed.
  const late = outcomes.filter((o) => o.at > recoveredAt + 500);
  const lateFailures = late
    .filter((o) => !o.ok)
    .map((o) => `${o.error} at +${o.at - recoveredAt} ms after ${o.ms} ms`);
  assert.ok(late.length > 0, 'no calls after recovery');
  assert.deepEqual(lateFailures, [], 'calls kept failing after recovery');
});
