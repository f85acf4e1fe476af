import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../common/store/new-id.js';
import type { Store } from '../../common/store/store.js';
import { DuplicateIdError } from '../../common/store/store-errors.js';

export interface StoreContractOptions {
  /** Opens a fresh, empty store. */
  open: () => Promise<Store>;
  /** Reopens the same store after close() (durability); absent = not tested. */
  reopen?: () => Promise<Store>;
  /** Empties what open() created, after the suite. */
  cleanup?: () => Promise<void>;
  /** A reason to skip the whole suite (shown by the test runner). */
  skip?: string;
}

/** The behaviour every Store implementation must have; run by each implementation's test file. */
export function runStoreContract(name: string, options: StoreContractOptions): void {
  describe(`Store contract: ${name}`, { skip: options.skip }, () => {
    let store: Store;
    before(async () => {
      store = await options.open();
    });
    after(async () => {
      await store?.close();
      await options.cleanup?.();
    });

    it('inserts, gets, replaces and deletes a document', async () => {
      const id = newId();
      await store.insert('things', { _id: id, name: 'a', n: 1, nested: { list: [1, 2] } });
      assert.deepEqual(await store.get('things', id), { _id: id, name: 'a', n: 1, nested: { list: [1, 2] } });
      assert.equal(await store.replace('things', { _id: id, name: 'b' }), true);
      assert.deepEqual(await store.get('things', id), { _id: id, name: 'b' });
      assert.equal(await store.delete('things', id), true);
      assert.equal(await store.get('things', id), null);
      assert.equal(await store.delete('things', id), false);
      assert.equal(await store.replace('things', { _id: id, name: 'c' }), false);
      assert.equal(await store.get('things', id), null);
    });

    it('refuses a duplicate id with DuplicateIdError and keeps the first document', async () => {
      const id = newId();
      await store.insert('dups', { _id: id, v: 1 });
      await assert.rejects(store.insert('dups', { _id: id, v: 2 }), DuplicateIdError);
      assert.deepEqual(await store.get('dups', id), { _id: id, v: 1 });
    });

    it('returns copies: changing a returned document does not change the store', async () => {
      const id = newId();
      const doc = { _id: id, list: [1] };
      await store.insert('copies', doc);
      doc.list.push(2);
      const got = await store.get('copies', id);
      assert.deepEqual(got, { _id: id, list: [1] });
      assert.ok(got);
      (got.list as number[]).push(3);
      assert.deepEqual(await store.get('copies', id), { _id: id, list: [1] });
    });

    it('keeps collections apart', async () => {
      const id = newId();
      await store.insert('left', { _id: id, side: 'left' });
      assert.equal(await store.get('right', id), null);
      await store.insert('right', { _id: id, side: 'right' });
      assert.equal((await store.get('left', id))?.side, 'left');
    });

    it('lists in id order with equality filters, skip and limit; counts', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = newId();
        ids.push(id);
        await store.insert('paged', { _id: id, owner: i % 2 === 0 ? 'even' : 'odd', i });
      }
      const all = await store.list('paged');
      assert.deepEqual(
        all.map((d) => d._id),
        [...ids].sort(),
      );
      const even = await store.list('paged', { filter: { owner: 'even' } });
      assert.deepEqual(
        even.map((d) => d.i),
        [0, 2, 4, 6],
      );
      const page = await store.list('paged', { filter: { owner: 'even' }, skip: 1, limit: 2 });
      assert.deepEqual(
        page.map((d) => d.i),
        [2, 4],
      );
      assert.equal(await store.count('paged'), 7);
      assert.equal(await store.count('paged', { owner: 'odd' }), 3);
      assert.equal(await store.count('paged', { owner: 'nobody' }), 0);
      assert.deepEqual(await store.list('empty-collection'), []);
    });

    it('take(): of many concurrent callers exactly one gets the document', async () => {
      const id = newId();
      await store.insert('once', { _id: id, secret: 's' });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take('once', id)));
      const winners = results.filter((r) => r !== null);
      assert.equal(winners.length, 1);
      assert.deepEqual(winners[0], { _id: id, secret: 's' });
      assert.equal(await store.get('once', id), null);
      assert.equal(await store.take('once', id), null);
    });

    it('purgeExpired() removes only documents whose expiresAt is before now', async () => {
      const now = Date.now();
      const old = newId();
      const fresh = newId();
      const plain = newId();
      await store.insert('expiring', { _id: old, expiresAt: now - 1 });
      await store.insert('expiring', { _id: fresh, expiresAt: now + 60_000 });
      await store.insert('expiring', { _id: plain });
      assert.equal(await store.purgeExpired('expiring', now), 1);
      assert.equal(await store.get('expiring', old), null);
      assert.notEqual(await store.get('expiring', fresh), null);
      assert.notEqual(await store.get('expiring', plain), null);
    });

    it('100 concurrent inserts are all there, none duplicated', async () => {
      const ids = Array.from({ length: 100 }, () => newId());
      await Promise.all(ids.map((id, i) => store.insert('burst', { _id: id, i })));
      const listed = await store.list('burst');
      assert.equal(listed.length, 100);
      assert.deepEqual(new Set(listed.map((d) => d._id)), new Set(ids));
    });

    it('keeps every acknowledged write across close and reopen', {
      skip: options.reopen ? false : 'no reopen',
    }, async () => {
      const id = newId();
      const gone = newId();
      await store.insert('durable', { _id: id, v: 1 });
      await store.insert('durable', { _id: gone, v: 1 });
      await store.replace('durable', { _id: id, v: 2 });
      await store.delete('durable', gone);
      await store.close();
      store = await (options.reopen as () => Promise<Store>)();
      assert.deepEqual(await store.get('durable', id), { _id: id, v: 2 });
      assert.equal(await store.get('durable', gone), null);
    });
  });
}
