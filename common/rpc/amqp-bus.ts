import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Channel, type ChannelModel, type ConsumeMessage, connect, type Message } from 'amqplib';
import { ValidationError } from '../errors.js';
import { createLogger } from '../logger.js';
import { failureOutcome, isCallOutcome, successOutcome } from './call-outcome.js';
import { invokeHandler } from './invoke-handler.js';
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
  targetUnavailableError,
} from './rpc-errors.js';

const log = createLogger('rpc.amqp');
const REPLY_TO = 'amq.rabbitmq.reply-to';
const RESOURCE_LOCKED = 405;

export interface AmqpBusOptions {
  /** amqp://user:password@host:port/vhost */
  url: string;
  defaultTimeoutMs?: number;
  /** Prefix of every queue and exchange name, so that several systems can share a broker. */
  namespace?: string;
  /** Shown by the broker (rabbitmqctl list_connections user_provided_name). */
  connectionName?: string;
  /** Reconnect backoff: first delay, doubled per attempt up to the cap. */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** How often a leadership candidate retries while someone else holds it. */
  leadershipRetryMs?: number;
  heartbeatSeconds?: number;
}

export interface AmqpBusEvents {
  connected: [];
  disconnected: [reason: string];
}

interface ServerEntry {
  handlers: RpcHandlers;
  /** Connection generation on which the queue and consumer were declared. */
  generation: number;
  consumerTag?: string;
}

interface SubscriptionEntry {
  pattern: string;
  listener: MonitorListener;
  generation: number;
  consumerTag?: string;
}

interface HeldLeadership {
  generation: number;
  queue: string;
  markLost: () => void;
}

/**
 * RpcBus over RabbitMQ. Calls go to the default exchange with routing key
 * `<namespace>.rpc.<target>` (published `mandatory`, so a target nobody serves comes back as
 * basic.return → RpcTargetUnavailableError), replies come back on direct reply-to. Servers
 * consume auto-delete queues; monitoring events go through a topic exchange. The bus
 * reconnects on its own and redeclares everything it owns.
 */
export class AmqpBus extends EventEmitter<AmqpBusEvents> implements RpcBus {
  readonly defaultTimeoutMs: number;
  private readonly url: string;
  private readonly safeUrl: string;
  private readonly namespace: string;
  private readonly options: AmqpBusOptions;
  private readonly pending = new PendingCalls();
  private readonly servers = new Map<string, ServerEntry>();
  private readonly subscriptions = new Set<SubscriptionEntry>();
  private readonly held = new Set<HeldLeadership>();
  private readonly waiters = new Set<() => void>();
  private readonly closing = new AbortController();
  private conn: ChannelModel | undefined;
  private channel: Channel | undefined;
  private generation = 0;
  private state: 'connecting' | 'connected' | 'disconnected' | 'closed' = 'disconnected';
  private reconnecting = false;

  static async connect(options: AmqpBusOptions): Promise<AmqpBus> {
    const bus = new AmqpBus(options);
    await bus.connectOnce();
    return bus;
  }

  private constructor(options: AmqpBusOptions) {
    super();
    this.options = options;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    this.namespace = options.namespace ?? 'mediaspread';
    const url = new URL(options.url);
    if (!url.searchParams.has('heartbeat'))
      url.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 5));
    this.url = url.toString();
    if (url.password) url.password = '***';
    url.search = '';
    this.safeUrl = url.toString();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  call<T = unknown>(target: string, method: string, args: unknown[], options: CallOptions = {}): Promise<T> {
    if (this.state === 'closed') return Promise.reject(busClosedError(target, method));
    let content: Buffer;
    try {
      content = Buffer.from(JSON.stringify({ m: method, a: args }));
    } catch (err) {
      return Promise.reject(err);
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const { id, promise } = this.pending.create(target, method, timeoutMs);
    if (this.state === 'connected') {
      this.sendCall(id, target, content, timeoutMs);
    } else {
      // Made while disconnected: wait for the reconnection within the call's own timeout.
      this.whenConnected(timeoutMs).then((ok) => {
        if (ok && this.pending.has(id)) this.sendCall(id, target, content, timeoutMs);
      });
    }
    return promise as Promise<T>;
  }

  cast(target: string, method: string, args: unknown[]): void {
    if (!this.channel || this.state !== 'connected') {
      log.debug({ target, method }, 'cast dropped while disconnected');
      return;
    }
    const content = Buffer.from(JSON.stringify({ m: method, a: args }));
    this.channel.publish('', this.queueOf(target), content, { contentType: 'application/json' });
  }

  async serve(id: string, handlers: RpcHandlers): Promise<RpcServer> {
    if (this.state === 'closed') throw new RpcBusClosedError(`bus closed; cannot serve ${id}`);
    if (this.servers.has(id)) throw new ValidationError(`${id} is already served on this bus`);
    const entry: ServerEntry = { handlers, generation: 0 };
    this.servers.set(id, entry);
    // While disconnected the reconnection declares it.
    if (this.channel && this.state === 'connected') {
      await this.declareServer(this.channel, this.generation, id, entry).catch((err: unknown) => {
        if (this.state === 'connected') {
          this.servers.delete(id);
          throw err;
        }
      });
    }
    return {
      id,
      close: async () => {
        if (this.servers.get(id) !== entry) return;
        this.servers.delete(id);
        await this.cancelConsumer(entry.generation, entry.consumerTag);
      },
    };
  }

  publish(topic: string, event: unknown): void {
    if (!this.channel || this.state !== 'connected') {
      // Monitoring events are best effort: they are not queued across an outage.
      log.debug({ topic }, 'monitor event dropped while disconnected');
      return;
    }
    this.channel.publish(this.monitorExchange, topic, Buffer.from(JSON.stringify(event ?? null)), {
      contentType: 'application/json',
    });
  }

  async subscribe(topic: string, listener: MonitorListener): Promise<MonitorSubscription> {
    if (this.state === 'closed') throw new RpcBusClosedError(`bus closed; cannot subscribe to ${topic}`);
    const entry: SubscriptionEntry = { pattern: topic, listener, generation: 0 };
    this.subscriptions.add(entry);
    if (this.channel && this.state === 'connected') {
      await this.declareSubscription(this.channel, this.generation, entry).catch((err: unknown) => {
        if (this.state === 'connected') {
          this.subscriptions.delete(entry);
          throw err;
        }
      });
    }
    return {
      close: async () => {
        if (!this.subscriptions.delete(entry)) return;
        await this.cancelConsumer(entry.generation, entry.consumerTag);
      },
    };
  }

  /**
   * The broker arbitrates: the holder owns the exclusive queue `<namespace>.leader.<name>`,
   * which the broker deletes when the holder's connection goes. Others retry periodically.
   */
  async acquireLeadership(name: string): Promise<Leadership> {
    const queue = `${this.namespace}.leader.${name}`;
    const retryMs = this.options.leadershipRetryMs ?? 500;
    for (;;) {
      if (this.state === 'closed') throw new RpcBusClosedError(`bus closed while waiting to lead ${name}`);
      const conn = this.conn;
      const generation = this.generation;
      if (!conn || this.state !== 'connected') {
        await this.whenConnected(retryMs);
        continue;
      }
      let locked = false;
      try {
        const ch = await conn.createChannel();
        ch.on('error', (err: unknown) => {
          locked = (err as { code?: unknown }).code === RESOURCE_LOCKED;
        });
        await ch.assertQueue(queue, { exclusive: true, durable: false, autoDelete: false });
        await ch.close();
        if (generation === this.generation && this.state === 'connected')
          return this.holdLeadership(generation, queue);
      } catch (err) {
        if (!locked && (err as { code?: unknown }).code !== RESOURCE_LOCKED) {
          log.debug({ err, name }, 'leadership attempt failed');
        }
      }
      await sleep(retryMs, undefined, { signal: this.closing.signal }).catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closing.abort();
    this.pending.failAll(busClosedError);
    for (const leadership of this.held) leadership.markLost();
    this.held.clear();
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    const conn = this.conn;
    this.conn = undefined;
    this.channel = undefined;
    if (conn) await conn.close().catch(() => {});
  }

  private holdLeadership(generation: number, queue: string): Leadership {
    let markLost!: () => void;
    const lost = new Promise<void>((resolve) => {
      markLost = resolve;
    });
    const held: HeldLeadership = { generation, queue, markLost };
    this.held.add(held);
    log.info({ queue }, 'leadership acquired');
    return {
      lost,
      release: async () => {
        if (!this.held.delete(held)) return;
        markLost();
        if (this.channel && this.generation === generation && this.state === 'connected') {
          await this.channel.deleteQueue(queue).catch(() => {});
        }
      },
    };
  }

  private get monitorExchange(): string {
    return `${this.namespace}.monitor`;
  }

  private queueOf(target: string): string {
    return `${this.namespace}.rpc.${target}`;
  }

  private sendCall(id: number, target: string, content: Buffer, timeoutMs: number): void {
    const channel = this.channel;
    if (!channel) return;
    this.pending.mark(id, this.generation);
    try {
      channel.publish('', this.queueOf(target), content, {
        correlationId: String(id),
        replyTo: REPLY_TO,
        mandatory: true,
        // A request nobody picked up before the caller gave up is dropped by the broker.
        expiration: String(Math.ceil(timeoutMs)),
        contentType: 'application/json',
      });
    } catch (err) {
      this.pending.fail(id, (t, m) => connectionLostError(t, m, `broker channel (${String(err)})`));
    }
  }

  /** Resolves true once connected, false after `timeoutMs` or when the bus closes. */
  private whenConnected(timeoutMs: number): Promise<boolean> {
    if (this.state === 'connected') return Promise.resolve(true);
    if (this.state === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(this.state === 'connected');
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  private async connectOnce(): Promise<void> {
    const conn = await connect(this.url, {
      noDelay: true,
      clientProperties: { connection_name: this.options.connectionName ?? `mediaspread-${process.pid}` },
    });
    if (this.state === 'closed') {
      await conn.close().catch(() => {});
      return;
    }
    const generation = ++this.generation;
    this.conn = conn;
    this.state = 'connecting';
    conn.on('error', (err: unknown) => log.warn({ err }, 'broker connection error'));
    conn.on('close', (err?: unknown) => this.onConnectionLost(generation, err));
    try {
      const channel = await conn.createChannel();
      channel.on('error', (err: unknown) => log.warn({ err }, 'broker channel error'));
      // A channel closed under a live connection leaves us half working: start over.
      channel.on('close', () => {
        if (this.generation === generation && this.state !== 'closed') conn.close().catch(() => {});
      });
      channel.on('return', (msg: Message) => this.onReturned(msg));
      await channel.assertExchange(this.monitorExchange, 'topic', { durable: false });
      await channel.consume(REPLY_TO, (msg) => this.onReply(msg), { noAck: true });
      // Servers and subscriptions registered meanwhile are picked up by the next round.
      for (;;) {
        const servers = [...this.servers].filter(([, e]) => e.generation !== generation);
        const subs = [...this.subscriptions].filter((e) => e.generation !== generation);
        if (servers.length === 0 && subs.length === 0) break;
        for (const [id, entry] of servers) await this.declareServer(channel, generation, id, entry);
        for (const entry of subs) await this.declareSubscription(channel, generation, entry);
      }
      if (this.generation !== generation || this.state !== 'connecting')
        throw new Error('connection lost during setup');
      this.channel = channel;
      this.state = 'connected';
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
    log.info({ url: this.safeUrl, generation }, 'connected to broker');
    for (const wake of [...this.waiters]) wake();
    this.emit('connected');
  }

  private onConnectionLost(generation: number, err: unknown): void {
    if (generation !== this.generation || this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'disconnected';
    this.conn = undefined;
    this.channel = undefined;
    if (wasConnected) {
      const reason = err instanceof Error ? err.message : 'connection closed';
      log.warn({ url: this.safeUrl, reason }, 'broker connection lost; reconnecting');
      this.pending.failMarked(generation, (t, m) => connectionLostError(t, m, 'broker connection'));
      for (const leadership of this.held) {
        if (leadership.generation === generation) {
          this.held.delete(leadership);
          leadership.markLost();
        }
      }
      this.emit('disconnected', reason);
    }
    this.startReconnect();
  }

  private startReconnect(): void {
    if (this.reconnecting || this.state === 'closed') return;
    this.reconnecting = true;
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    const initial = this.options.reconnectInitialDelayMs ?? 100;
    const max = this.options.reconnectMaxDelayMs ?? 2000;
    for (let attempt = 0; this.state !== 'closed'; attempt++) {
      const base = Math.min(max, initial * 2 ** Math.min(attempt, 20));
      const delay = base * (0.8 + Math.random() * 0.2);
      try {
        await sleep(delay, undefined, { signal: this.closing.signal });
        await this.connectOnce();
        this.reconnecting = false;
        return;
      } catch (err) {
        if (this.isClosed()) break;
        log.debug({ attempt, err: err instanceof Error ? err.message : String(err) }, 'reconnect failed');
      }
    }
    this.reconnecting = false;
  }

  private async declareServer(
    channel: Channel,
    generation: number,
    id: string,
    entry: ServerEntry,
  ): Promise<void> {
    const queue = this.queueOf(id);
    await channel.assertQueue(queue, { durable: false, autoDelete: true });
    const { consumerTag } = await channel.consume(queue, (msg) => this.onRequest(channel, id, entry, msg), {
      noAck: true,
    });
    if (this.servers.get(id) !== entry) {
      // Closed while we were declaring it.
      await channel.cancel(consumerTag).catch(() => {});
      return;
    }
    entry.generation = generation;
    entry.consumerTag = consumerTag;
  }

  private async declareSubscription(
    channel: Channel,
    generation: number,
    entry: SubscriptionEntry,
  ): Promise<void> {
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, this.monitorExchange, entry.pattern);
    const { consumerTag } = await channel.consume(queue, (msg) => this.onEvent(entry, msg), { noAck: true });
    if (!this.subscriptions.has(entry)) {
      await channel.cancel(consumerTag).catch(() => {});
      return;
    }
    entry.generation = generation;
    entry.consumerTag = consumerTag;
  }

  private async cancelConsumer(generation: number, consumerTag: string | undefined): Promise<void> {
    if (!consumerTag || !this.channel || generation !== this.generation || this.state !== 'connected') return;
    await this.channel.cancel(consumerTag).catch(() => {});
  }

  private onRequest(channel: Channel, target: string, entry: ServerEntry, msg: ConsumeMessage | null): void {
    if (!msg) return; // consumer cancelled by the broker
    const { replyTo, correlationId } = msg.properties as { replyTo?: string; correlationId?: string };
    let request: { m: string; a: unknown[] };
    try {
      request = parseRequest(msg.content);
    } catch (err) {
      log.warn({ target, err }, 'ignoring malformed request');
      if (replyTo) this.sendReply(channel, replyTo, correlationId, failureOutcome(err));
      return;
    }
    invokeHandler(target, entry.handlers, request.m, request.a).then(
      (result) => {
        if (replyTo) this.sendReply(channel, replyTo, correlationId, successOutcome(result));
      },
      (err: unknown) => {
        if (replyTo) this.sendReply(channel, replyTo, correlationId, failureOutcome(err));
        else log.warn({ err, target, method: request.m }, 'cast handler failed');
      },
    );
  }

  private sendReply(
    channel: Channel,
    replyTo: string,
    correlationId: string | undefined,
    outcome: unknown,
  ): void {
    let content: Buffer;
    try {
      content = Buffer.from(JSON.stringify(outcome));
    } catch (err) {
      content = Buffer.from(JSON.stringify(failureOutcome(err)));
    }
    try {
      channel.publish('', replyTo, content, { correlationId, contentType: 'application/json' });
    } catch (err) {
      // The channel the request came on is gone; the caller gets RpcConnectionLostError.
      log.debug({ err }, 'reply dropped');
    }
  }

  private onReply(msg: ConsumeMessage | null): void {
    if (!msg) return;
    const id = Number(msg.properties.correlationId);
    let outcome: unknown;
    try {
      outcome = JSON.parse(msg.content.toString('utf8'));
    } catch {
      outcome = undefined;
    }
    if (!Number.isInteger(id) || !isCallOutcome(outcome)) {
      log.warn({ correlationId: msg.properties.correlationId }, 'ignoring malformed reply');
      return;
    }
    this.pending.settle(id, outcome);
  }

  private onReturned(msg: Message): void {
    const id = Number(msg.properties.correlationId);
    if (Number.isInteger(id)) this.pending.fail(id, targetUnavailableError);
  }

  private onEvent(entry: SubscriptionEntry, msg: ConsumeMessage | null): void {
    if (!msg || !this.subscriptions.has(entry)) return;
    let event: unknown;
    try {
      event = JSON.parse(msg.content.toString('utf8'));
    } catch {
      log.warn({ topic: msg.fields.routingKey }, 'ignoring malformed monitor event');
      return;
    }
    try {
      entry.listener(event);
    } catch (err) {
      log.warn({ err, topic: msg.fields.routingKey }, 'monitor listener threw');
    }
  }
}

function parseRequest(content: Buffer): { m: string; a: unknown[] } {
  const value: unknown = JSON.parse(content.toString('utf8'));
  if (typeof value === 'object' && value !== null) {
    const { m, a } = value as { m?: unknown; a?: unknown };
    if (typeof m === 'string' && Array.isArray(a)) return { m, a };
  }
  throw new ValidationError('malformed request: expected {m: string, a: array}');
}
