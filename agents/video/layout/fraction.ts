import { ValidationError } from '../../../common/errors.js';
import type { FractionValue } from './layout-types.js';

/** An exact ratio, so that '1/3' + '2/3' lands on the canvas edge without float drift. */
export interface Ratio {
  num: number;
  den: number;
}

const FRACTION = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/;

/** Parses '1/3', '0', '1' or a number in [0, 1]; throws ValidationError otherwise. */
export function parseFraction(value: FractionValue, what = 'fraction'): Ratio {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > 1)
      throw new ValidationError(`${what} ${value} is not in [0, 1]`);
    return { num: value, den: 1 };
  }
  const m = FRACTION.exec(value);
  if (!m) throw new ValidationError(`${what} '${value}' is not a fraction like '1/3'`);
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  if (den === 0 || num > den) throw new ValidationError(`${what} '${value}' is not in [0, 1]`);
  return { num, den };
}

/** a + b, exact for integer ratios. */
export function addRatio(a: Ratio, b: Ratio): Ratio {
  return a.den === b.den
    ? { num: a.num + b.num, den: a.den }
    : { num: a.num * b.den + b.num * a.den, den: a.den * b.den };
}

/** ratio × length, exact for integer ratios. */
export function scaleRatio(r: Ratio, length: number): number {
  return (r.num * length) / r.den;
}

/** Nearest even integer: I420 chroma planes are subsampled by two in both directions. */
export function toEven(value: number): number {
  return 2 * Math.round(value / 2);
}

/** Largest even integer ≤ value. */
export function floorEven(value: number): number {
  return 2 * Math.floor(value / 2);
}

/** 'n/d' in lowest terms (how OWT writes areas in StreamInfo). */
export function formatRatio(num: number, den: number): string {
  if (num === 0) return '0';
  const g = gcd(num, den);
  const n = num / g;
  const d = den / g;
  return d === 1 ? String(n) : `${n}/${d}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
