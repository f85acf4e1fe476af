import { deserializeError, isWireError, serializeError, type WireError } from '../errors.js';

/**
 * What travels back for a call, on every transport. Args and results are JSON: whatever
 * JSON.stringify drops or changes (undefined in arrays, Dates, Maps, class instances) is
 * dropped or changed the same way on the local bus, so all transports behave alike.
 */
export type CallOutcome = { ok: true; result?: unknown } | { ok: false; error: WireError };

/** JSON round trip, applied by the in-process bus so that it behaves like the wire. */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function successOutcome(result: unknown): CallOutcome {
  return result === undefined ? { ok: true } : { ok: true, result };
}

export function failureOutcome(err: unknown): CallOutcome {
  return { ok: false, error: serializeError(err) };
}

/** Turns an outcome into a result or a thrown error of the original class. */
export function unwrapOutcome(outcome: CallOutcome): unknown {
  if (outcome.ok) return outcome.result;
  throw deserializeError(outcome.error);
}

export function isCallOutcome(value: unknown): value is CallOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.ok === true) return true;
  return v.ok === false && isWireError(v.error);
}
