import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MongoStore } from '../../common/store/mongo-store.js';
import { StoreUnavailableError } from '../../common/store/store-errors.js';
import { runStoreContract } from './store-contract.js';

/** Runs the store contract against a real MongoDB when MONGODB_URL is set; skips visibly otherwise. */
const url = process.env.MONGODB_URL;
const database = `mediaspread_test_${randomBytes(4).toString('hex')}`;
let cleanupStore: MongoStore | undefined;

runStoreContract('mongodb', {
  skip: url ? undefined : 'MONGODB_URL is not set (no MongoDB on this machine)',
  open: async () => MongoStore.open({ url: url as string, database }),
  reopen: async () => MongoStore.open({ url: url as string, database }),
  cleanup: async () => {
    cleanupStore = await MongoStore.open({ url: url as string, database });
    await cleanupStore.dropDatabase();
    await cleanupStore.close();
  },
});

describe('MongoStore without a server', () => {
  it('fails to open with StoreUnavailableError, within its server selection timeout', async () => {
    await assert.rejects(
      MongoStore.open({ url: 'mongodb://127.0.0.1:1/?directConnection=true', serverSelectionTimeoutMs: 300 }),
      StoreUnavailableError,
    );
  });
});
