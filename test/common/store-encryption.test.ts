import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EmbeddedStore } from '../../common/store/embedded-store.js';
import { EncryptingStore } from '../../common/store/encrypting-store.js';
import { DecryptionError, FieldCipher } from '../../common/store/field-cipher.js';
import { openStore } from '../../common/store/open-store.js';
import { storeSchema } from '../../common/store/store-config.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ms-enc-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('service keys at rest', () => {
  it('are AES-256-GCM ciphertext in the backend and clear text through the wrapper', async () => {
    const dir = tempDir();
    const inner = await EmbeddedStore.open({ dataDir: dir });
    const store = new EncryptingStore(inner, new FieldCipher(randomBytes(32)));
    await store.insert('services', { _id: 's1', name: 'svc', key: 'the-clear-key' });
    assert.equal((await store.get('services', 's1'))?.key, 'the-clear-key');
    assert.equal((await store.list('services'))[0]?.key, 'the-clear-key');
    const raw = await inner.get('services', 's1');
    assert.ok(FieldCipher.isEncrypted(raw?.key), 'backend holds ciphertext');
    await store.close();
    assert.ok(
      !readFileSync(join(dir, 'store.log'), 'utf8').includes('the-clear-key'),
      'no clear key on disk',
    );
  });

  it('does not decrypt with another key, nor after tampering', () => {
    const a = new FieldCipher(randomBytes(32));
    const b = new FieldCipher(randomBytes(32));
    const sealed = a.encrypt('secret');
    assert.equal(a.decrypt(sealed), 'secret');
    assert.throws(() => b.decrypt(sealed), DecryptionError);
    const bytes = Buffer.from(sealed.slice('aes256gcm:'.length), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    assert.throws(() => a.decrypt(`aes256gcm:${bytes.toString('base64')}`), DecryptionError);
  });

  it('openStore() generates a key file once (0600) and reads the keys back after restart', async () => {
    const dir = tempDir();
    const config = storeSchema.parse({ dataDir: dir });
    const first = await openStore(config);
    await first.insert('services', { _id: 's', key: 'k1' });
    await first.close();
    const keyFile = join(dir, 'encryption.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const second = await openStore(config);
    assert.equal((await second.get('services', 's'))?.key, 'k1');
    await second.close();
  });

  it('store config: mongodb needs a URL and a key; a malformed key is named', () => {
    const bad = storeSchema.safeParse({ type: 'mongodb', encryptionKey: 'short' });
    assert.equal(bad.success, false);
    const fields = bad.error?.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(fields, ['encryptionKey', 'mongodbUrl']);
    const good = storeSchema.safeParse({
      type: 'mongodb',
      mongodbUrl: 'mongodb://127.0.0.1:27017',
      encryptionKey: randomBytes(32).toString('base64'),
    });
    assert.equal(good.success, true);
  });
});
