/**
 * The one interface every part talks through. Implementations: AMQP (cluster mode), local
 * in-process, and the IPC bridge a child node uses to reach its parent's local bus. All pass
 * the same behavioural suite (test/common/rpc-contract.ts).
 */

export interface CallOptions {
  /** Reject with RpcTimeoutError after this long. Defaults to the bus's default timeout. */
  timeoutMs?: number;
}

/**
 * A remote-callable method. Arguments come from the wire, so handlers validate them; the
 * `never[]` parameter type lets typed functions be registered without casts.
 */
export type RpcHandler = (...args: never[]) => unknown;
export type RpcHandlers = Record<string, RpcHandler>;

export interface RpcServer {
  readonly id: string;
  /** Stop serving; calls made afterwards fail with RpcTargetUnavailableError. */
  close(): Promise<void>;
}

export type MonitorListener = (event: unknown) => void;

export interface MonitorSubscription {
  close(): Promise<void>;
}

export interface Leadership {
  /** Resolves when this holder lost leadership (connection lost, released). */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface RpcBus {
  /** Request/response. Resolves with the result, rejects with the remote error or a timeout. */
  call<T = unknown>(target: string, method: string, args: unknown[], options?: CallOptions): Promise<T>;
  /** Fire and forget; errors are logged on the serving side and never reported back. */
  cast(target: string, method: string, args: unknown[]): void;
  /** Serve `id`: calls to it invoke `handlers[method](...args)`. */
  serve(id: string, handlers: RpcHandlers): Promise<RpcServer>;
  /** Monitoring topic, e.g. `worker.lost`: every subscriber receives every event. */
  publish(topic: string, event: unknown): void;
  subscribe(topic: string, listener: MonitorListener): Promise<MonitorSubscription>;
  /**
   * Wait until this process holds the named leadership (one holder cluster-wide). Used for
   * the active/standby cluster manager; the broker arbitrates in cluster mode.
   */
  acquireLeadership(name: string): Promise<Leadership>;
  close(): Promise<void>;
}
