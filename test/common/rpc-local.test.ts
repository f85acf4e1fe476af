import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { rpcSchema } from '../../common/config/base-schema.js';
import { ValidationError } from '../../common/errors.js';
import { createBus, createChildBus } from '../../common/rpc/create-bus.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { RpcBusClosedError } from '../../common/rpc/rpc-errors.js';
import { rpcContract } from './rpc-contract.js';

// Two users of one in-process bus: the same object seen by two parts of the process.
rpcContract('local', async () => {
  const bus = new LocalBus({ defaultTimeoutMs: 5000 });
  return { a: bus, b: bus, close: () => bus.close() };
});

describe('LocalBus specifics', () => {
  const bus = new LocalBus();
  after(() => bus.close());

  it('never runs a handler synchronously inside call()', async () => {
    let running = false;
    const srv = await bus.serve('sync-check', { probe: () => running });
    running = true;
    const answer = bus.call('sync-check', 'probe', []);
    running = false;
    assert.equal(await answer, false);
    await srv.close();
  });

  it('copies arguments and results through JSON', async () => {
    const stored: Array<{ list: number[] }> = [];
    const srv = await bus.serve('json-check', {
      keep: (value: { list: number[] }) => {
        value.list.push(99);
        stored.push(value);
        return { when: new Date(0) };
      },
    });
    const arg = { list: [1] };
    assert.deepEqual(await bus.call('json-check', 'keep', [arg]), { when: '1970-01-01T00:00:00.000Z' });
    assert.deepEqual(arg, { list: [1] });
    await srv.close();
  });

  it('refuses a second server for the same id', async () => {
    const srv = await bus.serve('twice', {});
    await assert.rejects(bus.serve('twice', {}), /already served/);
    await srv.close();
  });

  it('createBus builds the configured transport; createChildBus needs an IPC channel', async () => {
    const local = await createBus(rpcSchema.parse({ transport: 'local', defaultTimeoutMs: 1234 }));
    assert.ok(local instanceof LocalBus);
    assert.equal(local.defaultTimeoutMs, 1234);
    await local.close();
    // node --test runs this file without an IPC channel.
    assert.equal(typeof process.send, 'undefined');
    assert.throws(() => createChildBus(), ValidationError);
  });

  it('rejects calls and waiting leadership candidates once closed', async () => {
    const own = new LocalBus();
    const held = await own.acquireLeadership('x');
    const waiting = own.acquireLeadership('x');
    await own.close();
    await held.lost;
    await assert.rejects(waiting, RpcBusClosedError);
    await assert.rejects(own.call('any', 'thing', []), RpcBusClosedError);
  });
});
