/** A load figure between 0 (idle) and 1 (full), sampled on demand. */
export interface LoadMeter {
  readonly kind: 'cpu' | 'network' | 'disk';
  /** Load since the previous sample (or current, for disk). */
  sample(): Promise<number>;
}

export function clampLoad(value: number): number {
  if (!Number.isFinite(value) || value < 0) return 0;
  return Math.min(value, 1);
}
