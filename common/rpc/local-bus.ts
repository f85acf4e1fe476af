import type { ChildProcess } from 'node:child_process';
import { deserializeError, serializeError, ValidationError } from '../errors.js';
import { createLogger } from '../logger.js';
import { jsonCopy } from './call-outcome.js';
import { ChildBridge, type ChildBridgeHost } from './child-bridge.js';
import { invokeHandler } from './invoke-handler.js';
import { LeadershipArbiter } from './local-leadership.js';
import type {
  CallOptions,
  Leadership,
  MonitorListener,
  MonitorSubscription,
  RpcBus,
  RpcHandlers,
  RpcServer,
} from './rpc-bus.js';
import {
  busClosedError,
  connectionLostError,
  RpcBusClosedError,
  targetUnavailableError,
  timeoutError,
} from './rpc-errors.js';
import { topicMatches } from './topic-pattern.js';

const log = createLogger('rpc.local');

export interface LocalBusOptions {
  /** Timeout of calls made without `timeoutMs`. */
  defaultTimeoutMs?: number;
}

/** Where calls to a served id go: handlers in this process, or a child process's IpcBus. */
type Route = { kind: 'local'; handlers: RpcHandlers } | { kind: 'child'; bridge: ChildBridge };

interface InFlight {
  cancel(err: Error): void;
}

interface Subscriber {
  pattern: string;
  deliver: (topic: string, event: unknown) => void;
}

/**
 * The in-process bus of all-in-one mode. Behaves like the wire transports: calls are
 * asynchronous, arguments, results and events are copied through JSON, errors cross via
 * their wire form. Forked children join it with `attachChild` (see IpcBus).
 */
export class LocalBus implements RpcBus {
  readonly defaultTimeoutMs: number;
  private readonly routes = new Map<string, Route>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly arbiter = new LeadershipArbiter();
  private readonly bridges = new Set<ChildBridge>();
  private readonly inFlight = new Set<InFlight>();
  private closed = false;

  constructor(options: LocalBusOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
  }

  call<T = unknown>(target: string, method: string, args: unknown[], options: CallOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(busClosedError(target, method));
    let copied: unknown[];
    try {
      copied = jsonCopy(args);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.dispatch(target, method, copied, options.timeoutMs ?? this.defaultTimeoutMs) as Promise<T>;
  }

  cast(target: string, method: string, args: unknown[]): void {
    if (this.closed) return;
    const copied = jsonCopy(args);
    queueMicrotask(() => this.dispatchCast(target, method, copied));
  }

  async serve(id: string, handlers: RpcHandlers): Promise<RpcServer> {
    this.assertOpen('serve');
    this.addRoute(id, { kind: 'local', handlers });
    const route = this.routes.get(id);
    return {
      id,
      close: async () => {
        if (this.routes.get(id) === route) this.routes.delete(id);
      },
    };
  }

  publish(topic: string, event: unknown): void {
    if (this.closed) return;
    const json = JSON.stringify(event ?? null);
    for (const subscriber of this.subscribers) {
      if (!topicMatches(subscriber.pattern, topic)) continue;
      // Deferred and copied per subscriber: never re-entrant, no shared mutable events.
      queueMicrotask(() => {
        if (this.subscribers.has(subscriber)) subscriber.deliver(topic, JSON.parse(json));
      });
    }
  }

  async subscribe(topic: string, listener: MonitorListener): Promise<MonitorSubscription> {
    this.assertOpen('subscribe');
    const unsubscribe = this.addSubscriber(topic, (t, event) => {
      try {
        listener(event);
      } catch (err) {
        log.warn({ err, topic: t }, 'monitor listener threw');
      }
    });
    return { close: async () => unsubscribe() };
  }

  acquireLeadership(name: string): Promise<Leadership> {
    if (this.closed) return Promise.reject(new RpcBusClosedError(`bus closed; cannot lead ${name}`));
    return this.arbiter.request(name).granted;
  }

  /**
   * Lets a child forked with an IPC channel use this bus through its IpcBus. The link ends
   * when the child exits or disconnects, or when `close()` of the returned handle is called.
   */
  attachChild(child: ChildProcess): { close(): void } {
    this.assertOpen('attachChild');
    const bridge = new ChildBridge(child, this.bridgeHost);
    this.bridges.add(bridge);
    return { close: () => bridge.detach('detached by parent') };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const bridge of [...this.bridges]) bridge.detach('parent bus closed');
    for (const call of [...this.inFlight]) call.cancel(new RpcBusClosedError('bus closed during the call'));
    this.routes.clear();
    this.subscribers.clear();
    this.arbiter.closeAll((name) => new RpcBusClosedError(`bus closed while waiting to lead ${name}`));
  }

  /** The part of the bus a child bridge may use. */
  private readonly bridgeHost: ChildBridgeHost = {
    dispatch: (target, method, args, timeoutMs, signal) =>
      this.dispatch(target, method, args, timeoutMs, signal),
    cast: (target, method, args) => this.dispatchCast(target, method, args),
    addRoute: (id, bridge) => this.addRoute(id, { kind: 'child', bridge }),
    removeRoute: (id, bridge) => {
      const route = this.routes.get(id);
      if (route?.kind === 'child' && route.bridge === bridge) this.routes.delete(id);
    },
    addSubscriber: (pattern, deliver) => this.addSubscriber(pattern, deliver),
    publish: (topic, event) => this.publish(topic, event),
    requestLeadership: (name) => this.arbiter.request(name),
    gone: (bridge) => this.bridges.delete(bridge),
  };

  private dispatch(
    target: string,
    method: string,
    args: unknown[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(busClosedError(target, method));
    const route = this.routes.get(target);
    if (!route) return Promise.reject(targetUnavailableError(target, method));
    if (route.kind === 'child') return route.bridge.call(target, method, args, timeoutMs);
    return new Promise((resolve, reject) => {
      // Tracked so that closing the bus (or losing the child that asked) frees the timer.
      const entry: InFlight = {
        cancel: (err) => {
          clearTimeout(timer);
          this.inFlight.delete(entry);
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = (): void => entry.cancel(connectionLostError(target, method, 'caller link'));
      const timer = setTimeout(() => entry.cancel(timeoutError(target, method, timeoutMs)), timeoutMs);
      this.inFlight.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      runLocal(target, route.handlers, method, args).then(
        (result) => {
          if (!this.inFlight.delete(entry)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (err: unknown) => {
          if (this.inFlight.has(entry)) entry.cancel(err as Error);
        },
      );
    });
  }

  private dispatchCast(target: string, method: string, args: unknown[]): void {
    const route = this.routes.get(target);
    if (!route) {
      log.debug({ target, method }, 'cast to unserved target dropped');
      return;
    }
    if (route.kind === 'child') {
      route.bridge.cast(target, method, args);
      return;
    }
    invokeHandler(target, route.handlers, method, args).catch((err: unknown) => {
      log.warn({ err, target, method }, 'cast handler failed');
    });
  }

  private addRoute(id: string, route: Route): void {
    if (this.routes.has(id)) throw new ValidationError(`${id} is already served on this bus`);
    this.routes.set(id, route);
  }

  private addSubscriber(pattern: string, deliver: Subscriber['deliver']): () => void {
    const subscriber: Subscriber = { pattern, deliver };
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new RpcBusClosedError(`bus closed; cannot ${operation}`);
  }
}

/** Runs a local handler after the caller's turn, with wire semantics for result and error. */
async function runLocal(
  target: string,
  handlers: RpcHandlers,
  method: string,
  args: unknown[],
): Promise<unknown> {
  await null;
  try {
    return jsonCopy(await invokeHandler(target, handlers, method, args));
  } catch (err) {
    throw deserializeError(serializeError(err));
  }
}
