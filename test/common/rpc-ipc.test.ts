import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { RpcConnectionLostError, RpcTargetUnavailableError } from '../../common/rpc/rpc-errors.js';
import { ChildBusProxy } from './ipc-child-proxy.js';
import { rpcContract, uniqueId, waitFor, within } from './rpc-contract.js';

const CHILD = fileURLToPath(new URL('./fixtures/ipc-child.js', import.meta.url));

interface StartedChild {
  child: ChildProcess;
  controlId: string;
  /** RESULT lines the child printed. */
  results: unknown[];
  stop(): Promise<void>;
}

/** Forks the fixture child, bridges it to `parent` and waits until its control id answers. */
async function startChild(parent: LocalBus): Promise<StartedChild> {
  const controlId = uniqueId('child-control');
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const readyServer = await parent.serve(uniqueId('child-ready'), { ready: () => markReady() });
  const child = fork(CHILD, [controlId, readyServer.id], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, MEDIASPREAD_LOG_LEVEL: 'error' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const results: unknown[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('RESULT ')) results.push(JSON.parse(line.slice(7)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  parent.attachChild(child);
  try {
    await within(ready, 10_000, 'child ready');
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await readyServer.close();
  }
  return { child, controlId, results, stop };
}

rpcContract('ipc (parent LocalBus ↔ forked child IpcBus)', async () => {
  const parent = new LocalBus({ defaultTimeoutMs: 5000 });
  const started = await startChild(parent);
  return {
    a: parent,
    b: new ChildBusProxy(parent, started.controlId),
    close: async () => {
      await started.stop();
      await parent.close();
    },
  };
});

describe('IPC bridge failures', () => {
  const parent = new LocalBus({ defaultTimeoutMs: 5000 });
  const children: StartedChild[] = [];
  after(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await parent.close();
  });
  const start = async (): Promise<StartedChild> => {
    const c = await startChild(parent);
    children.push(c);
    return c;
  };

  it('a child killed with SIGKILL: calls in flight fail, its ids and leaderships go, the parent works on', async () => {
    const victim = await start();
    const proxy = new ChildBusProxy(parent, victim.controlId);
    const id = uniqueId('victim');
    await proxy.serve(id, { hang: () => new Promise(() => {}), ping: () => 'pong' });
    assert.equal(await parent.call(id, 'ping', []), 'pong');
    const leadName = uniqueId('lead');
    await proxy.acquireLeadership(leadName);
    let parentLeads = false;
    const parentLeadership = parent.acquireLeadership(leadName).then((l) => {
      parentLeads = true;
      return l;
    });
    const inFlight = assert.rejects(
      parent.call(id, 'hang', [], { timeoutMs: 20_000 }),
      RpcConnectionLostError,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(parentLeads, false);

    victim.child.kill('SIGKILL');
    await within(inFlight, 5000, 'in-flight call to the killed child');
    await assert.rejects(parent.call(id, 'ping', []), RpcTargetUnavailableError);
    const leadership = await within(parentLeadership, 5000, 'leadership passes to the parent');
    await leadership.release();

    const survivor = uniqueId('survivor');
    const srv = await parent.serve(survivor, { ok: () => 'still working' });
    assert.equal(await parent.call(survivor, 'ok', []), 'still working');
    await srv.close();
  });

  it('garbage on the IPC channel is ignored with a warning', async () => {
    const c = await start();
    assert.equal(await parent.call(c.controlId, 'sendGarbage', []), 'sent');
    // Still fully working both ways after the garbage.
    const proxy = new ChildBusProxy(parent, c.controlId);
    const id = uniqueId('after-garbage');
    const srv = await parent.serve(id, { twice: (n: number) => n * 2 });
    assert.equal(await proxy.call(id, 'twice', [21]), 42);
    await srv.close();
  });

  it('in the child, pending calls reject with RpcConnectionLostError when the parent link goes', async () => {
    const c = await start();
    const id = uniqueId('never');
    let arrived = false;
    const srv = await parent.serve(id, {
      hang: () => {
        arrived = true;
        return new Promise(() => {});
      },
    });
    assert.equal(await parent.call(c.controlId, 'callAndReportWhenLinkLost', [id, 'hang']), 'started');
    await waitFor(() => arrived, 5000, 'the child call to reach the parent');
    c.child.disconnect();
    await waitFor(() => c.results.length === 2, 5000, 'the child to report');
    assert.deepEqual(c.results, [{ pending: 'RpcConnectionLostError' }, { after: 'RpcConnectionLostError' }]);
    await srv.close();
  });
});
