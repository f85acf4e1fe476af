import { EmbeddedStore } from './embedded-store.js';
import { EncryptingStore } from './encrypting-store.js';
import { FieldCipher, parseEncryptionKey } from './field-cipher.js';
import { loadOrCreateLocalSecret } from './local-secret.js';
import { MongoStore } from './mongo-store.js';
import type { Store } from './store.js';
import type { StoreConfig } from './store-config.js';

export const ENCRYPTION_KEY_FILE = 'encryption.key';

/**
 * Opens the configured backend, wrapped so that service keys are encrypted at rest. An empty
 * encryptionKey is only accepted for the embedded store (generated once in dataDir).
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  const keyText =
    config.encryptionKey ||
    (config.type === 'embedded' ? loadOrCreateLocalSecret(config.dataDir, ENCRYPTION_KEY_FILE) : '');
  const cipher = new FieldCipher(parseEncryptionKey(keyText));
  const inner =
    config.type === 'mongodb'
      ? await MongoStore.open({ url: config.mongodbUrl, database: config.database })
      : await EmbeddedStore.open({ dataDir: config.dataDir });
  return new EncryptingStore(inner, cipher);
}
