/**
 * Remembers nonces for a fixed time so that a replayed request is recognised. Bounded: when
 * full, it refuses new nonces rather than forgetting live ones (forgetting would re-open replay).
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** true when the nonce is new (and is now remembered); false on replay or when full. */
  remember(nonce: string): boolean {
    const now = this.now();
    this.evictExpired(now);
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.maxEntries) return false;
    this.seen.set(nonce, now + this.ttlMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Map iteration follows insertion order, and every entry has the same ttl: stop at the first live one. */
  private evictExpired(now: number): void {
    for (const [nonce, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(nonce);
    }
  }
}
