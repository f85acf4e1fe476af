import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotFoundError } from '../../common/errors.js';
import type { Leadership, RpcBus } from '../../common/rpc/rpc-bus.js';
import {
  RpcMethodNotFoundError,
  RpcTargetUnavailableError,
  RpcTimeoutError,
} from '../../common/rpc/rpc-errors.js';

/** Two users of one bus (two connections, parent and child, ...) and how to tear them down. */
export interface RpcEnv {
  a: RpcBus;
  b: RpcBus;
  close(): Promise<void>;
}

let counter = 0;
/** Ids unique per test so that tests never see each other's servers or events. */
export const uniqueId = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

/** Polls `predicate` every 10 ms; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Rejects if `promise` is not settled within `ms` (the timer never outlives the test). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The behaviour every RpcBus implementation must have. Registers node:test tests; `makeEnv`
 * runs once for the suite.
 */
export function rpcContract(name: string, makeEnv: () => Promise<RpcEnv>): void {
  describe(`RpcBus contract: ${name}`, () => {
    let env: RpcEnv | undefined;
    const buses = (): RpcEnv => {
      if (!env) throw new Error('environment not started');
      return env;
    };
    before(async () => {
      env = await makeEnv();
    });
    after(async () => {
      await env?.close();
    });

    const directions: Array<[string, (e: RpcEnv) => [RpcBus, RpcBus]]> = [
      ['b calls a', (e) => [e.a, e.b]],
      ['a calls b', (e) => [e.b, e.a]],
    ];

    for (const [direction, pick] of directions) {
      it(`round trip with several argument types (${direction})`, async () => {
        const [server, client] = pick(buses());
        const id = uniqueId('echo');
        const srv = await server.serve(id, {
          echo: (...args: unknown[]) => args,
          add: (x: number, y: number) => x + y,
          nothing: () => undefined,
          later: async (text: string) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return text.toUpperCase();
          },
        });
        try {
          const args = [
            1.5,
            'text',
            true,
            null,
            [1, [2, 'x']],
            { nested: { list: [1, 2], flag: false }, s: 'é' },
          ];
          assert.deepEqual(await client.call(id, 'echo', args), args);
          assert.equal(await client.call(id, 'add', [2, 40]), 42);
          assert.equal(await client.call(id, 'nothing', []), undefined);
          assert.equal(await client.call(id, 'later', ['abc']), 'ABC');
          assert.deepEqual(await client.call(id, 'echo', []), []);
        } finally {
          await srv.close();
        }
      });

      it(`a named remote error crosses intact (${direction})`, async () => {
        const [server, client] = pick(buses());
        const id = uniqueId('errors');
        const srv = await server.serve(id, {
          missing: () => {
            throw new NotFoundError('room x');
          },
          missingAsync: async () => {
            throw new NotFoundError('room y', { data: { room: 'y' } });
          },
        });
        try {
          await assert.rejects(client.call(id, 'missing', []), (err: unknown) => {
            assert.ok(err instanceof NotFoundError, `expected NotFoundError, got ${String(err)}`);
            assert.equal(err.name, 'NotFoundError');
            assert.equal(err.code, 'NOT_FOUND');
            assert.equal(err.message, 'room x');
            return true;
          });
          await assert.rejects(client.call(id, 'missingAsync', []), (err: unknown) => {
            assert.ok(err instanceof NotFoundError);
            assert.deepEqual(err.data, { room: 'y' });
            return true;
          });
        } finally {
          await srv.close();
        }
      });
    }

    it('a plain Error keeps its name and message', async () => {
      const { a, b } = buses();
      const id = uniqueId('plain');
      const srv = await a.serve(id, {
        boom: () => {
          throw new Error('boom');
        },
        typed: () => {
          throw new TypeError('bad type');
        },
      });
      try {
        await assert.rejects(b.call(id, 'boom', []), (err: unknown) => {
          assert.ok(err instanceof Error);
          assert.equal(err.name, 'Error');
          assert.equal(err.message, 'boom');
          return true;
        });
        await assert.rejects(b.call(id, 'typed', []), { name: 'TypeError', message: 'bad type' });
      } finally {
        await srv.close();
      }
    });

    it('an unknown method rejects with RpcMethodNotFoundError', async () => {
      const { a, b } = buses();
      const id = uniqueId('methods');
      const srv = await a.serve(id, { known: () => 1 });
      try {
        await assert.rejects(b.call(id, 'unknown', []), (err: unknown) => {
          assert.ok(err instanceof RpcMethodNotFoundError, `got ${String(err)}`);
          assert.equal(err.code, 'RPC_METHOD_NOT_FOUND');
          assert.match(err.message, /unknown/);
          return true;
        });
        // Inherited properties of the handlers object are not methods.
        await assert.rejects(b.call(id, 'toString', []), RpcMethodNotFoundError);
        assert.equal(await b.call(id, 'known', []), 1);
      } finally {
        await srv.close();
      }
    });

    it('an unknown target rejects with RpcTargetUnavailableError quickly', async () => {
      const { b } = buses();
      const target = uniqueId('nobody');
      const started = Date.now();
      await assert.rejects(b.call(target, 'anything', [], { timeoutMs: 10_000 }), (err: unknown) => {
        assert.ok(err instanceof RpcTargetUnavailableError, `got ${String(err)}`);
        assert.equal(err.code, 'RPC_TARGET_UNAVAILABLE');
        assert.ok(err.message.includes(target) && err.message.includes('anything'), err.message);
        return true;
      });
      assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    });

    it('a handler that never answers times out near the timeout', async () => {
      const { a, b } = buses();
      const id = uniqueId('silent');
      const srv = await a.serve(id, { hang: () => new Promise(() => {}) });
      try {
        const started = Date.now();
        await assert.rejects(b.call(id, 'hang', [], { timeoutMs: 300 }), (err: unknown) => {
          assert.ok(err instanceof RpcTimeoutError, `got ${String(err)}`);
          assert.equal(err.code, 'RPC_TIMEOUT');
          assert.ok(err.message.includes(id) && err.message.includes('hang'), err.message);
          return true;
        });
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 250 && elapsed < 3000, `timed out after ${elapsed} ms`);
      } finally {
        await srv.close();
      }
    });

    it('cast delivers', async () => {
      const { a, b } = buses();
      const id = uniqueId('cast');
      const seen: unknown[] = [];
      const srv = await a.serve(id, {
        note: (value: unknown) => {
          seen.push(value);
        },
        fail: () => {
          throw new Error('ignored by design');
        },
      });
      try {
        b.cast(id, 'fail', []);
        b.cast(id, 'note', [{ n: 1 }]);
        b.cast(id, 'note', [{ n: 2 }]);
        await waitFor(() => seen.length === 2, 5000, 'two casts');
        assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
      } finally {
        await srv.close();
      }
    });

    it('publish reaches every subscriber and stops after close', async () => {
      const { a, b } = buses();
      const topic = `${uniqueId('topic')}.worker.lost`;
      const got = { a: [] as unknown[], b1: [] as unknown[], b2: [] as unknown[], wild: [] as unknown[] };
      const subA = await a.subscribe(topic, (e) => got.a.push(e));
      const subB1 = await b.subscribe(topic, (e) => got.b1.push(e));
      const subB2 = await b.subscribe(topic, (e) => got.b2.push(e));
      const subWild = await b.subscribe(`${topic.split('.')[0]}.#`, (e) => got.wild.push(e));
      try {
        a.publish(topic, { worker: 'w1' });
        await waitFor(
          () => got.a.length === 1 && got.b1.length === 1 && got.b2.length === 1 && got.wild.length === 1,
          5000,
          'first event at every subscriber',
        );
        assert.deepEqual(got.b2, [{ worker: 'w1' }]);
        await subB1.close();
        b.publish(topic, { worker: 'w2' });
        b.publish(`${topic}.other`, { worker: 'not for exact subscribers' });
        await waitFor(
          () => got.a.length === 2 && got.b2.length === 2 && got.wild.length === 3,
          5000,
          'second events',
        );
        // Give a stray delivery to the closed subscription time to show up.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(got.b1, [{ worker: 'w1' }]);
        assert.deepEqual(got.a, [{ worker: 'w1' }, { worker: 'w2' }]);
      } finally {
        await Promise.all([subA.close(), subB1.close(), subB2.close(), subWild.close()]);
      }
    });

    it('a closed server makes its target unavailable', async () => {
      const { a, b } = buses();
      const id = uniqueId('closing');
      const srv = await a.serve(id, { ping: () => 'pong' });
      assert.equal(await b.call(id, 'ping', []), 'pong');
      await srv.close();
      await assert.rejects(b.call(id, 'ping', [], { timeoutMs: 5000 }), RpcTargetUnavailableError);
      // The id can be served again afterwards.
      const again = await a.serve(id, { ping: () => 'pong again' });
      try {
        assert.equal(await b.call(id, 'ping', []), 'pong again');
      } finally {
        await again.close();
      }
    });

    it('200 concurrent calls are all answered and matched to their callers', async () => {
      const { a, b } = buses();
      const id = uniqueId('concurrent');
      const srv = await a.serve(id, {
        square: async (n: number) => {
          // Answer out of order on purpose.
          await new Promise((resolve) => setTimeout(resolve, (n * 7) % 13));
          return { n, square: n * n };
        },
      });
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, n) => b.call<{ n: number; square: number }>(id, 'square', [n])),
        );
        for (const [n, result] of results.entries()) assert.deepEqual(result, { n, square: n * n });
      } finally {
        await srv.close();
      }
    });

    it('leadership: exactly one holder; the other takes over on release', async () => {
      const { a, b } = buses();
      const name = uniqueId('leader');
      const holders: Array<{ who: string; leadership: Leadership }> = [];
      const pA = a.acquireLeadership(name).then((leadership) => holders.push({ who: 'a', leadership }));
      const pB = b.acquireLeadership(name).then((leadership) => holders.push({ who: 'b', leadership }));
      await waitFor(() => holders.length >= 1, 10_000, 'a first leader');
      // The loser keeps waiting (AMQP candidates retry every ~500 ms: give them time to err).
      await new Promise((resolve) => setTimeout(resolve, 1200));
      assert.equal(holders.length, 1, 'two leaders at once');
      const first = holders[0];
      await first.leadership.release();
      await within(first.leadership.lost, 1000, 'lost after release');
      await within(Promise.all([pA, pB]), 10_000, 'takeover');
      assert.equal(holders.length, 2);
      assert.notEqual(holders[1].who, first.who);
      await holders[1].leadership.release();
      await within(holders[1].leadership.lost, 1000, 'lost after release');
    });
  });
}
