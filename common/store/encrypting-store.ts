import type { FieldCipher } from './field-cipher.js';
import type { FilterValue, ListOptions, Store, StoreDocument } from './store.js';

/** Which top-level string fields of which collections are secrets. */
export type SecretFields = Record<string, readonly string[]>;

export const DEFAULT_SECRET_FIELDS: SecretFields = { services: ['key'] };

/**
 * Wraps any Store so that the listed fields are AES-256-GCM encrypted before they reach it and
 * decrypted on the way out: secrets are never at rest in clear, whatever the backend.
 */
export class EncryptingStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly cipher: FieldCipher,
    private readonly secretFields: SecretFields = DEFAULT_SECRET_FIELDS,
  ) {}

  insert(collection: string, doc: StoreDocument): Promise<void> {
    return this.inner.insert(collection, this.seal(collection, doc));
  }

  async get(collection: string, id: string): Promise<StoreDocument | null> {
    return this.open(collection, await this.inner.get(collection, id));
  }

  replace(collection: string, doc: StoreDocument): Promise<boolean> {
    return this.inner.replace(collection, this.seal(collection, doc));
  }

  delete(collection: string, id: string): Promise<boolean> {
    return this.inner.delete(collection, id);
  }

  async take(collection: string, id: string): Promise<StoreDocument | null> {
    return this.open(collection, await this.inner.take(collection, id));
  }

  async list(collection: string, options?: ListOptions): Promise<StoreDocument[]> {
    const docs = await this.inner.list(collection, options);
    return docs.map((d) => this.open(collection, d) as StoreDocument);
  }

  count(collection: string, filter?: Record<string, FilterValue>): Promise<number> {
    return this.inner.count(collection, filter);
  }

  purgeExpired(collection: string, now: number): Promise<number> {
    return this.inner.purgeExpired(collection, now);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private seal(collection: string, doc: StoreDocument): StoreDocument {
    const fields = this.secretFields[collection];
    if (!fields) return doc;
    const out: StoreDocument = { ...doc };
    for (const f of fields) {
      const v = out[f];
      if (typeof v === 'string') out[f] = this.cipher.encrypt(v);
    }
    return out;
  }

  private open(collection: string, doc: StoreDocument | null): StoreDocument | null {
    const fields = this.secretFields[collection];
    if (!doc || !fields) return doc;
    for (const f of fields) {
      const v = doc[f];
      if (typeof v === 'string') doc[f] = this.cipher.decrypt(v);
    }
    return doc;
  }
}
