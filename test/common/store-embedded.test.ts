import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../common/store/embedded-store.js';
import { StoreUnavailableError } from '../../common/store/store-errors.js';
import { runStoreContract } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ms-store-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const contractDir = tempDir();
runStoreContract('embedded', {
  open: () => EmbeddedStore.open({ dataDir: contractDir }),
  reopen: () => EmbeddedStore.open({ dataDir: contractDir }),
});

describe('EmbeddedStore crash tolerance', () => {
  it('cuts off a torn last record and keeps everything before it', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open({ dataDir: dir });
    await store.insert('c', { _id: 'a', v: 1 });
    await store.insert('c', { _id: 'b', v: 2 });
    await store.close();
    const log = join(dir, 'store.log');
    const good = readFileSync(log);
    // A write cut short by kill -9: half a record, no newline.
    appendFileSync(log, good.subarray(0, Math.floor(good.length / 3)));
    const reopened = await EmbeddedStore.open({ dataDir: dir });
    assert.deepEqual(await reopened.list('c'), [
      { _id: 'a', v: 1 },
      { _id: 'b', v: 2 },
    ]);
    await reopened.insert('c', { _id: 'c', v: 3 });
    await reopened.close();
    assert.ok(readFileSync(log).subarray(0, good.length).equals(good), 'the good prefix is untouched');
    const again = await EmbeddedStore.open({ dataDir: dir });
    assert.equal(await again.count('c'), 3);
    await again.close();
  });

  it('skips a corrupt line (bad checksum) and keeps the lines after it', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open({ dataDir: dir });
    await store.insert('c', { _id: 'a', v: 1 });
    await store.insert('c', { _id: 'b', v: 2 });
    await store.close();
    const log = join(dir, 'store.log');
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[0] = (lines[0] as string).replace('"v":1', '"v":9');
    writeFileSync(log, lines.join('\n'));
    const reopened = await EmbeddedStore.open({ dataDir: dir });
    assert.equal(await reopened.get('c', 'a'), null, 'a tampered record is not trusted');
    assert.deepEqual(await reopened.get('c', 'b'), { _id: 'b', v: 2 });
    await reopened.close();
  });

  it('refuses a second opener while the first holds the directory, and takes over a dead holder', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open({ dataDir: dir });
    await assert.rejects(EmbeddedStore.open({ dataDir: dir }), StoreUnavailableError);
    await store.close();
    // A lock left by a process that no longer exists (pid far above pid_max).
    writeFileSync(join(dir, 'store.lock'), '999999999');
    const taken = await EmbeddedStore.open({ dataDir: dir });
    await taken.close();
  });

  it('compacts a long log and still has the latest state after reopen', async () => {
    const dir = tempDir();
    const store = await EmbeddedStore.open({ dataDir: dir });
    await store.insert('c', { _id: 'x', i: -1 });
    // Batches of concurrent replaces share one fsync; within a batch the last call wins.
    for (let batch = 0; batch < 25; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => store.replace('c', { _id: 'x', i: batch * 100 + k })),
      );
    }
    await store.insert('c', { _id: 'y', last: true });
    await store.close();
    const lines = readFileSync(join(dir, 'store.log'), 'utf8').trim().split('\n').length;
    assert.ok(lines < 2500, `log was compacted (${lines} lines)`);
    const reopened = await EmbeddedStore.open({ dataDir: dir });
    assert.deepEqual(await reopened.get('c', 'x'), { _id: 'x', i: 2499 });
    assert.deepEqual(await reopened.get('c', 'y'), { _id: 'y', last: true });
    await reopened.close();
  });
});
