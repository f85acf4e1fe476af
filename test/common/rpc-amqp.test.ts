import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import { RpcConnectionLostError, RpcTargetUnavailableError } from '../../common/rpc/rpc-errors.js';
import { type PrivateRabbit, startPrivateRabbit } from '../support/rabbitmq.js';
import { rpcContract, uniqueId, waitFor, within } from './rpc-contract.js';

// One private broker for the whole file; every suite below opens its own connections.
let rabbit: PrivateRabbit | undefined;
const broker = async (): Promise<PrivateRabbit> => {
  rabbit ??= await startPrivateRabbit();
  return rabbit;
};
after(async () => {
  await rabbit?.stop();
});

rpcContract('amqp', async () => {
  const { url } = await broker();
  const a = await AmqpBus.connect({ url, connectionName: 'contract-a' });
  const b = await AmqpBus.connect({ url, connectionName: 'contract-b' });
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});

describe('AmqpBus specifics', () => {
  const buses: AmqpBus[] = [];
  const open = async (name: string): Promise<AmqpBus> => {
    const bus = await AmqpBus.connect({ url: (await broker()).url, connectionName: name });
    buses.push(bus);
    return bus;
  };
  before(async () => {
    const r = await broker();
    // Recorded for docs/rpc.md: how long a private broker takes to come up here.
    console.log(`# private RabbitMQ started in ${r.startMs.toFixed(0)} ms`);
  });
  after(async () => {
    await Promise.all(buses.map((bus) => bus.close()));
  });

  it('leadership fails over when the holder connection is lost', async () => {
    const r = await broker();
    const name = uniqueId('failover');
    const one = await open(`leader-one-${name}`);
    const two = await open(`leader-two-${name}`);
    const first = await one.acquireLeadership(name);
    let secondHeld = false;
    const second = two.acquireLeadership(name).then((l) => {
      secondHeld = true;
      return l;
    });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(secondHeld, false, 'two leaders at once');
    // Kill the holder's connection from the broker side, as a network failure would.
    await closeConnectionNamed(r, `leader-one-${name}`);
    await within(first.lost, 10_000, 'holder notices the loss');
    const taken = await within(second, 10_000, 'standby takes over');
    assert.equal(secondHeld, true);
    // The old holder reconnects by itself but must compete again: it is refused while two holds.
    let oneAgain = false;
    const retry = one.acquireLeadership(name).then((l) => {
      oneAgain = true;
      return l;
    });
    retry.catch(() => {}); // awaited below; closing the bus early must not be unhandled
    await waitFor(() => one.connected, 10_000, 'old holder reconnected');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(oneAgain, false, 'old holder took leadership back while the standby held it');
    await taken.release();
    const back = await within(retry, 10_000, 'old holder leads again after release');
    await back.release();
  });

  it('a server whose connection dies disappears from the broker', async () => {
    const id = uniqueId('dying');
    const server = await open(`dying-${id}`);
    const client = await open(`client-${id}`);
    await server.serve(id, { ping: () => 'pong' });
    assert.equal(await client.call(id, 'ping', []), 'pong');
    await server.close();
    await assert.rejects(client.call(id, 'ping', [], { timeoutMs: 5000 }), RpcTargetUnavailableError);
  });

  it('logs the broker URL without its password', async () => {
    const r = await broker();
    const script = fileURLToPath(new URL('./fixtures/amqp-log-child.js', import.meta.url));
    const child = spawn(process.execPath, [script, r.url], {
      env: { ...process.env, MEDIASPREAD_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const code = await within(
      new Promise<number | null>((resolve) => child.once('exit', resolve)),
      15_000,
      'log child',
    ).finally(() => child.kill('SIGKILL'));
    assert.equal(code, 0, out);
    assert.match(out, /connected to broker/);
    assert.match(out, /guest:\*\*\*@127\.0\.0\.1/);
    assert.doesNotMatch(out, /guest:guest/);
  });

  it('reports the outage: in-flight calls fail, events fire, service resumes', async () => {
    const r = await broker();
    const id = uniqueId('outage');
    const server = await open(`outage-server-${id}`);
    const client = await open(`outage-client-${id}`);
    let release: (() => void) | undefined;
    await server.serve(id, {
      slow: () => new Promise<string>((resolve) => (release = () => resolve('late'))),
      ping: () => 'pong',
    });
    const events: string[] = [];
    client.on('disconnected', () => events.push('disconnected'));
    client.on('connected', () => events.push('connected'));
    const inFlight = client.call(id, 'slow', [], { timeoutMs: 20_000 });
    await waitFor(() => release !== undefined, 5000, 'request to arrive');
    const failed = assert.rejects(within(inFlight, 5000, 'in-flight call'), RpcConnectionLostError);
    await closeConnectionNamed(r, `outage-client-${id}`);
    await failed;
    release?.();
    await waitFor(() => events.includes('connected'), 10_000, 'reconnection');
    assert.deepEqual(events, ['disconnected', 'connected']);
    assert.equal(await client.call(id, 'ping', []), 'pong');
  });
});

/** Closes a client connection from the broker side, found by its connection_name. */
async function closeConnectionNamed(r: PrivateRabbit, name: string): Promise<void> {
  const listing = await r.ctl(['-q', 'list_connections', 'pid', 'client_properties']);
  const line = listing.split('\n').find((l) => l.includes(`"${name}"`));
  assert.ok(line, `connection ${name} not found in:\n${listing}`);
  const pid = line.split('\t')[0].trim();
  await r.ctl(['close_connection', pid, 'closed by test']);
}
