import { ValidationError } from '../errors.js';
import { createLogger } from '../logger.js';
import { failureOutcome, successOutcome } from './call-outcome.js';
import { invokeHandler } from './invoke-handler.js';
import { type ChildToParent, isRpcMessage, type ParentToChild, parentToChildSchema } from './ipc-protocol.js';
import { PendingCalls } from './pending-calls.js';
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
  RpcConnectionLostError,
} from './rpc-errors.js';

const log = createLogger('rpc.ipc');
const PARENT = 'parent bus';

/** The IPC side of the current process: `process` in a child forked with an IPC channel. */
export interface IpcChannel {
  send?: (message: unknown, callback?: (err: Error | null) => void) => boolean;
  readonly connected?: boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'disconnect', listener: () => void): unknown;
}

export interface IpcBusOptions {
  defaultTimeoutMs?: number;
  /** Defaults to `process`. */
  channel?: IpcChannel;
}

interface LeadRequest {
  resolve: (leadership: Leadership) => void;
  reject: (err: Error) => void;
  markLost: () => void;
  leadership: Leadership;
  granted: boolean;
}

/**
 * RpcBus of a forked child: every operation goes to the parent's LocalBus over the IPC
 * channel (see ChildBridge). When the parent link goes, pending calls reject with
 * RpcConnectionLostError and leaderships are lost.
 */
export class IpcBus implements RpcBus {
  readonly defaultTimeoutMs: number;
  private readonly channel: IpcChannel;
  private readonly pending = new PendingCalls();
  private readonly servers = new Map<string, RpcHandlers>();
  private readonly listeners = new Map<number, MonitorListener>();
  private readonly leads = new Map<number, LeadRequest>();
  private nextLeadId = 1;
  private linkUp = true;
  private closed = false;

  constructor(options: IpcBusOptions = {}) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    // Process's overloaded `on` does not unify with the narrow interface; it is one.
    this.channel = options.channel ?? (process as unknown as IpcChannel);
    if (typeof this.channel.send !== 'function') {
      throw new ValidationError('IpcBus needs an IPC channel (fork the process with one)');
    }
    this.channel.on('message', this.onMessage);
    this.channel.on('disconnect', this.onDisconnect);
    if (this.channel.connected === false) this.onDisconnect();
  }

  call<T = unknown>(target: string, method: string, args: unknown[], options: CallOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(busClosedError(target, method));
    if (!this.linkUp) return Promise.reject(connectionLostError(target, method, PARENT));
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const { id, promise } = this.pending.create(target, method, timeoutMs);
    this.sendOrFail(id, { rpc: 1, t: 'call', id, target, method, args, timeoutMs });
    return promise as Promise<T>;
  }

  cast(target: string, method: string, args: unknown[]): void {
    if (this.closed || !this.linkUp) return;
    this.send({ rpc: 1, t: 'cast', target, method, args });
  }

  async serve(id: string, handlers: RpcHandlers): Promise<RpcServer> {
    if (this.servers.has(id)) throw new ValidationError(`${id} is already served on this bus`);
    this.servers.set(id, handlers);
    try {
      await this.request('serve', (rid) => ({ rpc: 1, t: 'serve', id: rid, sid: id }));
    } catch (err) {
      this.servers.delete(id);
      throw err;
    }
    return {
      id,
      close: async () => {
        if (this.servers.get(id) !== handlers) return;
        this.servers.delete(id);
        if (this.linkUp && !this.closed) {
          await this.request('unserve', (rid) => ({ rpc: 1, t: 'unserve', id: rid, sid: id }));
        }
      },
    };
  }

  publish(topic: string, event: unknown): void {
    if (this.closed || !this.linkUp) return;
    this.send({ rpc: 1, t: 'publish', topic, event: event ?? null });
  }

  async subscribe(topic: string, listener: MonitorListener): Promise<MonitorSubscription> {
    let sub = 0;
    await this.request('subscribe', (rid) => {
      sub = rid;
      // Registered before the request leaves, so no event can arrive before its listener.
      this.listeners.set(rid, listener);
      return { rpc: 1, t: 'subscribe', id: rid, topic };
    }).catch((err: unknown) => {
      this.listeners.delete(sub);
      throw err;
    });
    return {
      close: async () => {
        if (!this.listeners.delete(sub)) return;
        if (this.linkUp && !this.closed) {
          await this.request('unsubscribe', (rid) => ({ rpc: 1, t: 'unsubscribe', id: rid, sub }));
        }
      },
    };
  }

  acquireLeadership(name: string): Promise<Leadership> {
    if (this.closed) return Promise.reject(new RpcBusClosedError(`bus closed; cannot lead ${name}`));
    if (!this.linkUp)
      return Promise.reject(new RpcConnectionLostError(`parent link lost; cannot lead ${name}`));
    const id = this.nextLeadId++;
    return new Promise<Leadership>((resolve, reject) => {
      let markLost!: () => void;
      const lost = new Promise<void>((res) => {
        markLost = res;
      });
      const request: LeadRequest = {
        resolve,
        reject,
        markLost,
        granted: false,
        leadership: {
          lost,
          release: async () => {
            if (this.leads.get(id) !== request) return;
            this.leads.delete(id);
            markLost();
            this.send({ rpc: 1, t: 'unlead', id });
          },
        },
      };
      this.leads.set(id, request);
      this.send({ rpc: 1, t: 'lead', id, name });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Undo what the parent holds for us; the parent also cleans up if we exit instead.
    for (const sid of this.servers.keys()) this.send({ rpc: 1, t: 'unserve', id: 0, sid });
    for (const sub of this.listeners.keys()) this.send({ rpc: 1, t: 'unsubscribe', id: 0, sub });
    for (const id of this.leads.keys()) this.send({ rpc: 1, t: 'unlead', id });
    this.servers.clear();
    this.listeners.clear();
    this.endLeaderships((name) => new RpcBusClosedError(`bus closed while waiting to lead ${name}`));
    this.pending.failAll(busClosedError);
    this.channel.off('message', this.onMessage);
    this.channel.off('disconnect', this.onDisconnect);
  }

  private readonly onDisconnect = (): void => {
    if (!this.linkUp) return;
    this.linkUp = false;
    log.warn('parent link lost');
    this.pending.failAll((target, method) => connectionLostError(target, method, PARENT));
    this.endLeaderships(() => new RpcConnectionLostError('parent link lost while waiting for leadership'));
  };

  private endLeaderships(makeError: (name: string) => Error): void {
    for (const request of this.leads.values()) {
      if (request.granted) request.markLost();
      else request.reject(makeError('leadership'));
    }
    this.leads.clear();
  }

  private readonly onMessage = (raw: unknown): void => {
    if (!isRpcMessage(raw)) return;
    const parsed = parentToChildSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.slice(0, 3) }, 'ignoring invalid bridge message');
      return;
    }
    this.handle(parsed.data);
  };

  private handle(msg: ParentToChild): void {
    switch (msg.t) {
      case 'reply':
        this.pending.settle(msg.id, msg.outcome);
        return;
      case 'call':
        this.serveCall(msg.id, msg.target, msg.method, msg.args);
        return;
      case 'cast': {
        const handlers = this.servers.get(msg.target);
        if (!handlers) return;
        invokeHandler(msg.target, handlers, msg.method, msg.args).catch((err: unknown) =>
          log.warn({ err, target: msg.target, method: msg.method }, 'cast handler failed'),
        );
        return;
      }
      case 'event': {
        const listener = this.listeners.get(msg.sub);
        if (!listener) return;
        try {
          listener(msg.event);
        } catch (err) {
          log.warn({ err, topic: msg.topic }, 'monitor listener threw');
        }
        return;
      }
      case 'led': {
        const request = this.leads.get(msg.id);
        if (!request) return;
        request.granted = true;
        request.resolve(request.leadership);
        return;
      }
      case 'lost': {
        const request = this.leads.get(msg.id);
        if (!request) return;
        this.leads.delete(msg.id);
        if (request.granted) request.markLost();
        else request.reject(new RpcConnectionLostError('leadership request refused by parent'));
        return;
      }
    }
  }

  private serveCall(id: number, target: string, method: string, args: unknown[]): void {
    const handlers = this.servers.get(target);
    const run = handlers
      ? invokeHandler(target, handlers, method, args)
      : Promise.reject(new RpcConnectionLostError(`${target} no longer served here (calling ${method})`));
    run.then(
      (result) => {
        // A result JSON cannot carry fails here rather than leaving the caller to time out.
        if (!this.send({ rpc: 1, t: 'reply', id, outcome: successOutcome(result) })) {
          this.send({
            rpc: 1,
            t: 'reply',
            id,
            outcome: failureOutcome(new ValidationError('result is not JSON')),
          });
        }
      },
      (err: unknown) => this.send({ rpc: 1, t: 'reply', id, outcome: failureOutcome(err) }),
    );
  }

  /** Sends a control request and waits for the parent's acknowledgement. */
  private async request(what: string, build: (id: number) => ChildToParent): Promise<void> {
    if (this.closed) throw busClosedError(PARENT, what);
    if (!this.linkUp) throw connectionLostError(PARENT, what, PARENT);
    const { id, promise } = this.pending.create(PARENT, what, this.defaultTimeoutMs);
    this.sendOrFail(id, build(id));
    await promise;
  }

  private sendOrFail(id: number, msg: ChildToParent): void {
    try {
      if (!this.sendRaw(msg))
        this.pending.fail(id, (target, method) => connectionLostError(target, method, PARENT));
    } catch (err) {
      // Arguments JSON cannot carry (BigInt, cycles): the caller gets the serializer's error.
      this.pending.fail(id, () => err as Error);
    }
  }

  /** False when the message could not be handed to the channel (closed, or not JSON). */
  private send(msg: ChildToParent): boolean {
    try {
      return this.sendRaw(msg);
    } catch (err) {
      log.debug({ err }, 'send to parent failed');
      return false;
    }
  }

  /** Throws synchronously when the message cannot be serialized. */
  private sendRaw(msg: ChildToParent): boolean {
    if (!this.linkUp) return false;
    this.channel.send?.(msg, (err: Error | null) => {
      if (err) log.debug({ err }, 'send to parent failed');
    });
    return true;
  }
}
