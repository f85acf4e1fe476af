/**
 * The one document store interface behind every persistent piece of MediaSpread (services,
 * rooms, tokens). Two implementations: the embedded file-backed store (default, single
 * process) and MongoDB (cluster mode). Both pass test/common/store-contract.ts.
 */

/** Field values a filter can match by equality. */
export type FilterValue = string | number | boolean | null;

export interface StoreDocument {
  _id: string;
  [field: string]: unknown;
}

export interface ListOptions {
  /** Equality on top-level fields; all must match. */
  filter?: Record<string, FilterValue>;
  skip?: number;
  limit?: number;
}

export interface Store {
  /** Adds a document; DuplicateIdError when `_id` exists. Resolves once durable. */
  insert(collection: string, doc: StoreDocument): Promise<void>;
  get(collection: string, id: string): Promise<StoreDocument | null>;
  /** Replaces a whole document; false when it does not exist. */
  replace(collection: string, doc: StoreDocument): Promise<boolean>;
  /** false when it did not exist. */
  delete(collection: string, id: string): Promise<boolean>;
  /**
   * Atomically reads and deletes: of any number of concurrent callers (in any process sharing
   * the store) at most one receives the document. Single-use tokens rely on it.
   */
  take(collection: string, id: string): Promise<StoreDocument | null>;
  /** Ordered by `_id` (ids from newId() sort by creation time). */
  list(collection: string, options?: ListOptions): Promise<StoreDocument[]>;
  count(collection: string, filter?: Record<string, FilterValue>): Promise<number>;
  /** Deletes documents whose numeric `expiresAt` (ms since epoch) is before `now`. */
  purgeExpired(collection: string, now: number): Promise<number>;
  close(): Promise<void>;
}

export function matchesFilter(doc: StoreDocument, filter: Record<string, FilterValue> | undefined): boolean {
  if (!filter) return true;
  for (const [field, value] of Object.entries(filter)) {
    const actual = doc[field];
    if (value === null ? actual !== null && actual !== undefined : actual !== value) return false;
  }
  return true;
}
