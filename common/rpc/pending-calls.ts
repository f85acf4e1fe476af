import { type CallOutcome, unwrapOutcome } from './call-outcome.js';
import { timeoutError } from './rpc-errors.js';

interface PendingCall {
  target: string;
  method: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  /** Transport-specific tag, e.g. the connection generation a call was sent on. */
  mark?: number;
}

/**
 * Calls waiting for an answer, keyed by correlation id. Every entry has a timer, so a call
 * never outlives its timeout whatever happens to the transport.
 */
export class PendingCalls {
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();

  get size(): number {
    return this.calls.size;
  }

  /** Registers a call; returns its correlation id and the promise its caller awaits. */
  create(target: string, method: string, timeoutMs: number): { id: number; promise: Promise<unknown> } {
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(timeoutError(target, method, timeoutMs));
      }, timeoutMs);
      this.calls.set(id, { target, method, resolve, reject, timer });
    });
    return { id, promise };
  }

  has(id: number): boolean {
    return this.calls.has(id);
  }

  mark(id: number, mark: number): void {
    const call = this.calls.get(id);
    if (call) call.mark = mark;
  }

  /** Fails the calls tagged with `mark` (those in flight on a connection that went away). */
  failMarked(mark: number, makeError: (target: string, method: string) => Error): void {
    for (const [id, call] of [...this.calls]) {
      if (call.mark === mark) this.fail(id, makeError);
    }
  }

  /** Delivers an answer; false when the call is unknown (timed out, or a stray reply). */
  settle(id: number, outcome: CallOutcome): boolean {
    const call = this.take(id);
    if (!call) return false;
    try {
      call.resolve(unwrapOutcome(outcome));
    } catch (err) {
      call.reject(err as Error);
    }
    return true;
  }

  fail(id: number, makeError: (target: string, method: string) => Error): boolean {
    const call = this.take(id);
    if (!call) return false;
    call.reject(makeError(call.target, call.method));
    return true;
  }

  failAll(makeError: (target: string, method: string) => Error): void {
    for (const id of [...this.calls.keys()]) this.fail(id, makeError);
  }

  private take(id: number): PendingCall | undefined {
    const call = this.calls.get(id);
    if (!call) return undefined;
    this.calls.delete(id);
    clearTimeout(call.timer);
    return call;
  }
}
