import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { ConferenceTimeoutError, DisconnectedError, RequestRejectedError } from './errors.js';
import { isRecord, type LoginResult, type ReloginResult } from './protocol.js';
import { decodeTicket } from './token.js';
import { TypedEmitter } from './typed-emitter.js';

export type SocketFactory = (url: string, options: Partial<ManagerOptions & SocketOptions>) => Socket;

export interface SignalingOptions {
  socketFactory?: SocketFactory;
  /** Ack timeout of one request. */
  requestTimeoutMs?: number;
  /** socket.io reconnection attempts before giving up (the portal keeps a participant 60 s). */
  reconnectionAttempts?: number;
  reconnectionDelayMs?: number;
  reconnectionDelayMaxMs?: number;
  /** Refresh the reconnection ticket this long before it expires (OWT SDK: 60 s). */
  ticketRefreshMarginMs?: number;
}

/** The server events the conference client consumes; everything else is ignored. */
export const SERVER_EVENTS = ['participant', 'stream', 'text', 'progress'] as const;
export type ServerEventName = (typeof SERVER_EVENTS)[number];

export interface SignalingEvents {
  [event: string]: unknown;
  /** A server event, live or replayed after relogin (in the order the portal sent them). */
  message: { event: ServerEventName; data: unknown; replayed: boolean };
  reconnecting: { reason: string };
  reconnected: { replayed: number };
  /** Final: dropped by the server, relogin refused or reconnection gave up. Not fired by leave(). */
  disconnected: { reason: string };
  ticket: { ticket: string };
}

type State = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

interface QueuedRequest {
  name: string;
  data: unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const MAX_QUEUED_REQUESTS = 64;

/**
 * The socket.io side of a conference session: login, requests with acks, server events,
 * relogin with the reconnection ticket after a reconnect (replaying what was missed), and
 * ticket refresh before expiry. Requests made while reconnecting wait for the relogin, because
 * the portal only accepts them on a logged-in socket.
 */
export class Signaling extends TypedEmitter<SignalingEvents> {
  private socket: Socket | undefined;
  private state: State = 'idle';
  private ticket: string | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly queue: QueuedRequest[] = [];
  /** Server events that arrive before the caller has taken in the login result wait here. */
  private pending: SignalingEvents['message'][] | undefined = [];
  private readonly requestTimeoutMs: number;
  private readonly refreshMarginMs: number;

  constructor(private readonly options: SignalingOptions = {}) {
    super();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.refreshMarginMs = options.ticketRefreshMarginMs ?? 60_000;
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  get reconnectionTicket(): string | undefined {
    return this.ticket;
  }

  async connect(url: string, login: unknown): Promise<LoginResult> {
    if (this.state !== 'idle') throw new DisconnectedError('this signaling session was already used');
    this.state = 'connecting';
    const factory = this.options.socketFactory ?? io;
    const socket = factory(url, {
      forceNew: true,
      reconnection: true,
      reconnectionAttempts: this.options.reconnectionAttempts ?? 12,
      reconnectionDelay: this.options.reconnectionDelayMs ?? 1_000,
      reconnectionDelayMax: this.options.reconnectionDelayMaxMs ?? 5_000,
      timeout: this.requestTimeoutMs,
    });
    this.socket = socket;
    this.attach(socket);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (error: Error) =>
          reject(
            new DisconnectedError(`cannot reach the portal at ${url}: ${error.message}`, { cause: error }),
          ),
        );
      });
      const result = await this.send('login', login);
      const parsed = parseLoginResult(result);
      this.state = 'ready';
      if (parsed.reconnectionTicket) this.acceptTicket(parsed.reconnectionTicket);
      return parsed;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Starts delivering server events (those received since login first, in order). */
  startDelivery(): void {
    const pending = this.pending;
    this.pending = undefined;
    for (const message of pending ?? []) this.emit('message', message);
  }

  /** Sends a request and resolves with its result, or rejects with the portal's reason. */
  request(name: string, data?: unknown): Promise<unknown> {
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(new DisconnectedError(`not connected: cannot send ${name}`));
    }
    if (this.state === 'ready') return this.send(name, data);
    if (this.queue.length >= MAX_QUEUED_REQUESTS) {
      return Promise.reject(new DisconnectedError(`reconnecting: too many requests queued (${name})`));
    }
    return new Promise((resolve, reject) => this.queue.push({ name, data, resolve, reject }));
  }

  /** Logs out (best effort) and closes; no `disconnected` event. */
  async leave(): Promise<void> {
    if (this.state === 'ready') {
      await this.send('logout', undefined, 2_000).catch(() => undefined);
    }
    this.close();
  }

  private send(name: string, data: unknown, timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new DisconnectedError(`not connected: cannot send ${name}`));
    return new Promise((resolve, reject) => {
      const ack = (error: Error | null, status?: unknown, result?: unknown) => {
        if (error) {
          reject(new ConferenceTimeoutError(`no answer to ${name} within ${timeoutMs} ms`));
        } else if (status === 'ok' || status === 'success') {
          resolve(result);
        } else {
          reject(new RequestRejectedError(name, describeReason(result)));
        }
      };
      // logout and refreshReconnectionTicket carry no data: the ack is the only argument.
      if (data === undefined) socket.timeout(timeoutMs).emit(name, ack);
      else socket.timeout(timeoutMs).emit(name, data, ack);
    });
  }

  private attach(socket: Socket): void {
    for (const event of SERVER_EVENTS) {
      socket.on(event, (data: unknown) => this.deliver({ event, data, replayed: false }));
    }
    socket.on('drop', () => this.fail('dropped by the server'));
    socket.on('disconnect', (reason: string) => {
      if (this.state !== 'ready') return;
      this.clearRefresh();
      // The server closing the socket itself means the session is over: socket.io does not retry.
      if (reason === 'io server disconnect') {
        this.fail('the server closed the connection');
        return;
      }
      this.state = 'reconnecting';
      this.emit('reconnecting', { reason });
    });
    socket.on('connect', () => {
      if (this.state === 'reconnecting') void this.relogin();
    });
    socket.io.on('reconnect_failed', () => this.fail('reconnection failed'));
  }

  private async relogin(): Promise<void> {
    const ticket = this.ticket;
    if (!ticket) {
      this.fail('reconnected without a reconnection ticket');
      return;
    }
    let result: ReloginResult;
    try {
      result = parseReloginResult(await this.send('relogin', ticket));
    } catch (error) {
      this.fail(`relogin refused: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (this.state !== 'reconnecting') return;
    this.state = 'ready';
    this.acceptTicket(result.ticket);
    for (const message of result.messages) {
      const event = SERVER_EVENTS.find((name) => name === message.event);
      if (event) this.deliver({ event, data: message.data, replayed: true });
    }
    this.emit('reconnected', { replayed: result.messages.length });
    for (const queued of this.queue.splice(0)) {
      this.send(queued.name, queued.data).then(queued.resolve, queued.reject);
    }
  }

  private deliver(message: SignalingEvents['message']): void {
    if (this.state === 'closed') return;
    if (this.pending) this.pending.push(message);
    else this.emit('message', message);
  }

  private acceptTicket(ticket: string): void {
    this.ticket = ticket;
    this.emit('ticket', { ticket });
    this.clearRefresh();
    let notAfter: number;
    try {
      notAfter = decodeTicket(ticket).notAfter;
    } catch {
      return; // an opaque ticket still works for relogin; we just cannot time its refresh
    }
    const left = notAfter - Date.now();
    // Long-lived tickets refresh `margin` before expiry; short ones half way through.
    const delay = Math.max(100, left > 2 * this.refreshMarginMs ? left - this.refreshMarginMs : left / 2);
    this.refreshTimer = setTimeout(() => void this.refreshTicket(), delay);
  }

  private async refreshTicket(): Promise<void> {
    this.refreshTimer = undefined;
    if (this.state !== 'ready') return;
    try {
      const result = await this.send('refreshReconnectionTicket', undefined);
      const ticket = typeof result === 'string' ? result : isRecord(result) ? result.ticket : undefined;
      if (typeof ticket === 'string' && this.state === 'ready') this.acceptTicket(ticket);
    } catch {
      // Keep the current ticket; a later reconnect still has it until it expires.
    }
  }

  private clearRefresh(): void {
    if (this.refreshTimer !== undefined) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private fail(reason: string): void {
    if (this.state === 'closed' || this.state === 'connecting') return;
    this.close();
    this.emit('disconnected', { reason });
  }

  private close(): void {
    this.state = 'closed';
    this.clearRefresh();
    const socket = this.socket;
    if (socket) {
      socket.io.off('reconnect_failed');
      socket.removeAllListeners();
      socket.disconnect();
    }
    for (const queued of this.queue.splice(0)) {
      queued.reject(new DisconnectedError(`disconnected before ${queued.name} could be sent`));
    }
  }
}

function describeReason(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result instanceof Error) return result.message;
  if (isRecord(result) && typeof result.message === 'string') return result.message;
  return JSON.stringify(result) ?? 'unknown reason';
}

function parseLoginResult(result: unknown): LoginResult {
  if (!isRecord(result) || typeof result.id !== 'string' || !isRecord(result.room)) {
    throw new DisconnectedError('malformed login answer from the portal');
  }
  const room = result.room;
  return {
    ...(result as unknown as LoginResult),
    room: {
      id: String(room.id ?? ''),
      views: Array.isArray(room.views) ? (room.views as string[]) : [],
      participants: Array.isArray(room.participants)
        ? (room.participants as LoginResult['room']['participants'])
        : [],
      streams: Array.isArray(room.streams) ? (room.streams as LoginResult['room']['streams']) : [],
    },
  };
}

/** 1.2: `{ticket, messages}`; 1.0/1.1: the ticket string alone. */
export function parseReloginResult(result: unknown): ReloginResult {
  if (typeof result === 'string') return { ticket: result, messages: [] };
  if (isRecord(result) && typeof result.ticket === 'string') {
    const messages = Array.isArray(result.messages) ? result.messages.filter(isRecord) : [];
    return {
      ticket: result.ticket,
      messages: messages
        .filter((m) => typeof m.event === 'string')
        .map((m) => ({
          event: m.event as string,
          data: m.data,
          seq: typeof m.seq === 'number' ? m.seq : undefined,
        })),
    };
  }
  throw new DisconnectedError('malformed relogin answer from the portal');
}
