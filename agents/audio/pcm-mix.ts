/**
 * Mixing arithmetic on interleaved s16: sums are taken in 32 bits and clipped once at the end
 * (saturating each addition would make the result depend on the order of the inputs).
 */

/** acc[i] += samples[i] for the first `length` values. */
export function addInto(acc: Int32Array, samples: Int16Array, length = samples.length): void {
  for (let i = 0; i < length; i++) acc[i]! += samples[i]!;
}

/** out = clip(acc). */
export function clipInto(out: Int16Array, acc: Int32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = acc[i]!;
    out[i] = Math.min(32767, Math.max(-32768, v));
  }
}

/**
 * out = clip(acc − Σ minus): the mix without some inputs (a minus-one output), at the cost of
 * one pass per left-out input instead of summing everyone else again.
 */
export function clipMinusInto(out: Int16Array, acc: Int32Array, minus: readonly Int16Array[]): void {
  if (minus.length === 1) {
    const m = minus[0]!;
    for (let i = 0; i < out.length; i++) {
      const v = acc[i]! - m[i]!;
      out[i] = Math.min(32767, Math.max(-32768, v));
    }
    return;
  }
  const rest = Int32Array.from(acc);
  for (const m of minus) for (let i = 0; i < rest.length; i++) rest[i]! -= m[i]!;
  clipInto(out, rest);
}
