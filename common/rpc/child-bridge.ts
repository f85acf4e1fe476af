import type { ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { createLogger } from '../logger.js';
import { failureOutcome, successOutcome } from './call-outcome.js';
import { type ChildToParent, childToParentSchema, isRpcMessage, type ParentToChild } from './ipc-protocol.js';
import type { LeadershipTicket } from './local-leadership.js';
import { PendingCalls } from './pending-calls.js';
import { connectionLostError } from './rpc-errors.js';

const log = createLogger('rpc.ipc-bridge');

/** What a bridge needs from the parent's LocalBus. */
export interface ChildBridgeHost {
  dispatch(
    target: string,
    method: string,
    args: unknown[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<unknown>;
  cast(target: string, method: string, args: unknown[]): void;
  addRoute(id: string, bridge: ChildBridge): void;
  removeRoute(id: string, bridge: ChildBridge): void;
  addSubscriber(pattern: string, deliver: (topic: string, event: unknown) => void): () => void;
  publish(topic: string, event: unknown): void;
  requestLeadership(name: string): LeadershipTicket;
  gone(bridge: ChildBridge): void;
}

/**
 * Parent side of the link to one forked child: carries the child's requests onto the local
 * bus and calls for ids the child serves down to it. Everything the child registered is
 * undone when it exits or disconnects.
 */
export class ChildBridge {
  private readonly pending = new PendingCalls();
  private readonly servedIds = new Set<string>();
  private readonly subscriptions = new Map<number, () => void>();
  private readonly leaderships = new Map<number, LeadershipTicket>();
  private attached = true;
  /** Aborted on detach: calls the child made need no answer any more. */
  private readonly detached = new AbortController();
  private readonly pid: number | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly host: ChildBridgeHost,
  ) {
    this.pid = child.pid;
    // One listener per call in flight from the child: there are legitimately many.
    setMaxListeners(0, this.detached.signal);
    child.on('message', this.onMessage);
    child.once('exit', this.onExit);
    child.once('disconnect', this.onDisconnect);
    if (!child.connected) queueMicrotask(() => this.detach('child has no IPC channel'));
  }

  call(target: string, method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    if (!this.attached) return Promise.reject(connectionLostError(target, method, 'child process link'));
    const { id, promise } = this.pending.create(target, method, timeoutMs);
    this.send({ rpc: 1, t: 'call', id, target, method, args, timeoutMs });
    return promise;
  }

  cast(target: string, method: string, args: unknown[]): void {
    if (this.attached) this.send({ rpc: 1, t: 'cast', target, method, args });
  }

  /** Ends the link: routes, subscriptions and leaderships of the child go away. */
  detach(reason: string): void {
    if (!this.attached) return;
    this.attached = false;
    this.child.off('message', this.onMessage);
    this.child.off('exit', this.onExit);
    this.child.off('disconnect', this.onDisconnect);
    for (const id of this.servedIds) this.host.removeRoute(id, this);
    this.servedIds.clear();
    for (const unsubscribe of this.subscriptions.values()) unsubscribe();
    this.subscriptions.clear();
    for (const ticket of this.leaderships.values()) ticket.cancel();
    this.leaderships.clear();
    this.pending.failAll((target, method) => connectionLostError(target, method, 'child process link'));
    this.detached.abort();
    this.host.gone(this);
    log.debug({ pid: this.pid, reason }, 'child link closed');
  }

  private readonly onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.detach(`child exited (code ${code}, signal ${signal})`);
  };

  private readonly onDisconnect = (): void => this.detach('child disconnected');

  private readonly onMessage = (raw: unknown): void => {
    if (!isRpcMessage(raw)) return; // other traffic on the channel is not ours
    const parsed = childToParentSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn({ pid: this.pid, issues: parsed.error.issues.slice(0, 3) }, 'ignoring invalid bridge message');
      return;
    }
    try {
      this.handle(parsed.data);
    } catch (err) {
      log.warn({ err, pid: this.pid, type: parsed.data.t }, 'bridge message failed');
    }
  };

  private handle(msg: ChildToParent): void {
    switch (msg.t) {
      case 'call':
        this.host.dispatch(msg.target, msg.method, msg.args, msg.timeoutMs, this.detached.signal).then(
          (result) => this.reply(msg.id, result),
          (err: unknown) => this.send({ rpc: 1, t: 'reply', id: msg.id, outcome: failureOutcome(err) }),
        );
        return;
      case 'cast':
        this.host.cast(msg.target, msg.method, msg.args);
        return;
      case 'reply':
        this.pending.settle(msg.id, msg.outcome);
        return;
      case 'serve':
        this.answer(msg.id, () => {
          this.host.addRoute(msg.sid, this);
          this.servedIds.add(msg.sid);
        });
        return;
      case 'unserve':
        this.answer(msg.id, () => {
          if (this.servedIds.delete(msg.sid)) this.host.removeRoute(msg.sid, this);
        });
        return;
      case 'subscribe':
        this.answer(msg.id, () => {
          const sub = msg.id;
          const unsubscribe = this.host.addSubscriber(msg.topic, (topic, event) =>
            this.send({ rpc: 1, t: 'event', sub, topic, event }),
          );
          this.subscriptions.set(sub, unsubscribe);
        });
        return;
      case 'unsubscribe':
        this.answer(msg.id, () => {
          this.subscriptions.get(msg.sub)?.();
          this.subscriptions.delete(msg.sub);
        });
        return;
      case 'publish':
        this.host.publish(msg.topic, msg.event);
        return;
      case 'lead':
        this.lead(msg.id, msg.name);
        return;
      case 'unlead':
        this.leaderships.get(msg.id)?.cancel();
        this.leaderships.delete(msg.id);
        return;
    }
  }

  private lead(id: number, name: string): void {
    const ticket = this.host.requestLeadership(name);
    this.leaderships.set(id, ticket);
    ticket.granted.then(
      (leadership) => {
        if (this.leaderships.get(id) !== ticket) return;
        this.send({ rpc: 1, t: 'led', id });
        leadership.lost.then(() => {
          if (this.leaderships.get(id) !== ticket) return;
          this.leaderships.delete(id);
          this.send({ rpc: 1, t: 'lost', id });
        });
      },
      () => this.send({ rpc: 1, t: 'lost', id }),
    );
  }

  private answer(id: number, action: () => void): void {
    try {
      action();
      this.send({ rpc: 1, t: 'reply', id, outcome: { ok: true } });
    } catch (err) {
      this.send({ rpc: 1, t: 'reply', id, outcome: failureOutcome(err) });
    }
  }

  private reply(id: number, result: unknown): void {
    this.send({ rpc: 1, t: 'reply', id, outcome: successOutcome(result) });
  }

  private send(msg: ParentToChild): void {
    if (!this.attached || !this.child.connected) return;
    try {
      this.child.send(msg, (err: Error | null) => {
        if (err) log.debug({ err, pid: this.pid }, 'send to child failed');
      });
    } catch (err) {
      log.debug({ err, pid: this.pid }, 'send to child failed');
    }
  }
}
