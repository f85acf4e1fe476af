import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { TokenRecord, TokenVerifierLike } from '../common/auth/token-service.js';
import { createLogger } from '../common/logger.js';
import type { RpcBus, RpcHandlers } from '../common/rpc/rpc-bus.js';
import { RpcTargetUnavailableError } from '../common/rpc/rpc-errors.js';
import type { JoinResult, ParticipantJoin } from '../conference/protocol.js';
import { ClientConnection, type RequestHandler } from './client-connection.js';
import type { PortalConfig } from './config.js';
import { NotLoggedInError, PortalRequestError, RoomUnavailableError, TicketInvalidError } from './errors.js';
import { EventBuffer } from './event-buffer.js';
import {
  describeIssues,
  loginSchema,
  publishSchema,
  reloginSchema,
  sessionIdSchema,
  soacSchema,
  streamControlSchema,
  subscribeSchema,
  subscriptionControlSchema,
  TICKET_SDK_TYPES,
  textSchema,
} from './message-schemas.js';
import { type Participant, ParticipantRegistry } from './participant.js';
import type { PortalEvent } from './protocol.js';
import { TicketSigner } from './reconnection-ticket.js';
import { RoomLocator } from './room-locator.js';

const log = createLogger('portal');

const PORTAL_EVENTS: ReadonlySet<string> = new Set<PortalEvent>([
  'participant',
  'stream',
  'text',
  'progress',
]);

export interface PortalServiceOptions {
  bus: RpcBus;
  tokens: TokenVerifierLike;
  config: PortalConfig;
  /** This portal's worker id and RPC id (ParticipantJoin.portal). */
  portalId: string;
  serverKey: string;
}

/**
 * The portal's logic: client requests (OWT client–portal protocol 1.2) relayed to the room's
 * conference node, conference events relayed to clients, reconnection with replay.
 */
export class PortalService {
  readonly participants = new ParticipantRegistry();
  private readonly connections = new Set<ClientConnection>();
  private readonly locator: RoomLocator;
  private readonly signer: TicketSigner;
  private readonly handlers: ReadonlyMap<string, RequestHandler>;
  private closed = false;

  constructor(private readonly options: PortalServiceOptions) {
    const { config } = options;
    this.locator = new RoomLocator(options.bus, config.rpcTimeoutMs);
    this.signer = new TicketSigner(options.serverKey, config.reconnectionTicketLifetimeMs);
    this.handlers = new Map<string, RequestHandler>([
      ['login', (c, d) => this.login(c, d)],
      ['relogin', (c, d) => this.relogin(c, d)],
      ['refreshReconnectionTicket', (c) => this.refreshTicket(c)],
      ['logout', (c) => this.logout(c)],
      ['text', (c, d) => this.text(c, d)],
      ['publish', (c, d) => this.publish(c, d)],
      ['unpublish', (c, d) => this.forward(c, 'unpublish', [parse(sessionIdSchema, d).id])],
      ['subscribe', (c, d) => this.subscribe(c, d)],
      ['unsubscribe', (c, d) => this.forward(c, 'unsubscribe', [parse(sessionIdSchema, d).id])],
      ['stream-control', (c, d) => this.control(c, 'streamControl', parse(streamControlSchema, d))],
      [
        'subscription-control',
        (c, d) => this.control(c, 'subscriptionControl', parse(subscriptionControlSchema, d)),
      ],
      ['soac', (c, d) => this.soac(c, d)],
    ]);
  }

  /** Connected sockets (the load figure). */
  get connectionCount(): number {
    return this.connections.size;
  }

  accept(socket: Socket): void {
    if (this.closed) {
      socket.disconnect(true);
      return;
    }
    const conn = new ClientConnection(socket, this.handlers, this.options.config.limits);
    this.connections.add(conn);
    socket.on('disconnect', (reason) => {
      this.connections.delete(conn);
      const p = conn.participant;
      conn.participant = undefined;
      if (p && p.connection === conn) {
        p.connection = undefined;
        p.events.markAway(reason === 'ping timeout' || reason === 'transport error');
        this.away(p);
      }
    });
  }

  /** Served under the portal's id (portal/protocol.ts). */
  rpcHandlers(): RpcHandlers {
    return {
      notify: (participantId: unknown, event: unknown, data: unknown) => {
        if (typeof participantId !== 'string' || typeof event !== 'string' || !PORTAL_EVENTS.has(event)) {
          throw new PortalRequestError('notify(participantId, event, data): bad arguments');
        }
        const p = this.participants.get(participantId);
        if (!p) return false;
        this.deliver(p, event as PortalEvent, data);
        return true;
      },
      drop: (participantId: unknown) => {
        const p = typeof participantId === 'string' ? this.participants.get(participantId) : undefined;
        if (!p) return false;
        this.drop(p, 'dropped by the conference');
        return true;
      },
    };
  }

  /** The conference node died: its rooms are gone, drop their clients. */
  nodeLost(nodeId: string): void {
    const affected = this.participants.onNode(nodeId);
    if (affected.length) log.warn({ nodeId, participants: affected.length }, 'conference node lost');
    for (const p of affected) this.drop(p, 'conference node lost');
  }

  /** A conference agent died: the rooms it ran are gone. */
  roomsLost(roomIds: string[]): void {
    for (const roomId of roomIds) {
      for (const p of this.participants.inRoom(roomId)) this.drop(p, 'conference agent lost');
    }
  }

  /** Leaves every room (best effort) and closes every client socket. */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.participants.all();
    await Promise.allSettled(all.map((p) => this.leave(p, 'portal shutting down')));
    for (const conn of this.connections) conn.socket.disconnect(true);
    this.connections.clear();
  }

  // --- requests -------------------------------------------------------------------------

  private async login(conn: ClientConnection, data: unknown): Promise<unknown> {
    const req = parse(loginSchema, data);
    if (conn.participant || conn.authenticating) throw new PortalRequestError('already logged in');
    conn.authenticating = true;
    try {
      let record: TokenRecord;
      try {
        record = await this.options.tokens.verifyAndConsume(req.token);
      } catch (err) {
        throw new PortalRequestError(`token refused: ${reasonOf(err)}`);
      }
      const id = randomBytes(12).toString('hex');
      const preference = record.preference ?? {};
      const join: ParticipantJoin = {
        id,
        user: record.user,
        role: record.role,
        portal: this.options.portalId,
        preference,
        origin: req.userAgent,
      };
      const { nodeId, result } = await this.join(record.room, preference, join);
      const reconnection = TICKET_SDK_TYPES.includes(req.userAgent.sdk.type);
      const { config } = this.options;
      const p: Participant = {
        id,
        roomId: record.room,
        nodeId,
        user: record.user,
        role: record.role,
        protocol: req.protocol,
        reconnection,
        events: new EventBuffer(
          config.pingIntervalMs + config.pingTimeoutMs + 1000,
          config.limits.maxBufferedEvents,
        ),
      };
      this.participants.add(p);
      let reconnectionTicket: string | undefined;
      if (reconnection) {
        const issued = this.signer.issue(id);
        p.ticketId = issued.ticketId;
        reconnectionTicket = issued.ticket;
      }
      if (!conn.socket.connected) {
        // Gone before it got its ticket: it can never come back.
        await this.leave(p, 'disconnected during login');
        throw new PortalRequestError('disconnected during login');
      }
      p.connection = conn;
      conn.participant = p;
      log.info({ participant: id, room: record.room, role: record.role }, 'participant logged in');
      return {
        id,
        user: record.user,
        role: record.role,
        permission: result.permission,
        room: result.room,
        ...(reconnectionTicket === undefined ? {} : { reconnectionTicket }),
      };
    } finally {
      conn.authenticating = false;
    }
  }

  private async relogin(conn: ClientConnection, data: unknown): Promise<unknown> {
    const ticket = parse(reloginSchema, data);
    if (conn.participant || conn.authenticating) throw new PortalRequestError('already logged in');
    const t = this.signer.verify(ticket);
    const p = this.participants.get(t.participantId);
    if (!p?.reconnection) throw new TicketInvalidError('participant unknown: it left or was dropped');
    if (p.ticketId !== t.ticketId) throw new TicketInvalidError('ticket superseded by a newer one');
    clearTimeout(p.keepTimer);
    p.keepTimer = undefined;
    const previous = p.connection;
    if (previous && previous !== conn) {
      // The client reconnected before the server noticed the old socket was dead.
      previous.participant = undefined;
      previous.socket.disconnect(true);
    }
    p.connection = conn;
    conn.participant = p;
    const issued = this.signer.issue(p.id);
    p.ticketId = issued.ticketId;
    const messages = p.events.replay();
    p.events.prune();
    log.info({ participant: p.id, replayed: messages.length }, 'participant logged in again');
    if (p.protocol === '1.2') return { ticket: issued.ticket, messages };
    // 1.0/1.1: the answer is the ticket; missed events are sent again after it.
    setImmediate(() => {
      for (const m of messages) conn.socket.emit(m.event, m.data);
    });
    return issued.ticket;
  }

  private async refreshTicket(conn: ClientConnection): Promise<unknown> {
    const p = requireParticipant(conn);
    if (!p.reconnection) throw new PortalRequestError('reconnection is not enabled for this client');
    const issued = this.signer.issue(p.id);
    p.ticketId = issued.ticketId;
    return issued.ticket;
  }

  private async logout(conn: ClientConnection): Promise<unknown> {
    const p = requireParticipant(conn);
    conn.participant = undefined;
    p.connection = undefined;
    await this.leave(p, 'logout');
    return undefined;
  }

  private text(conn: ClientConnection, data: unknown): Promise<unknown> {
    const req = parse(textSchema, data);
    return this.forward(conn, 'text', [req.to, req.message]);
  }

  private async publish(conn: ClientConnection, data: unknown): Promise<unknown> {
    const req = parse(publishSchema, data);
    const options = { ...req, transport: { type: req.transport.type, id: req.transport.id ?? undefined } };
    return this.startSession(conn, 'publish', options, req.transport.id);
  }

  private async subscribe(conn: ClientConnection, data: unknown): Promise<unknown> {
    const req = parse(subscribeSchema, data);
    const options = { ...req, transport: { type: req.transport.type, id: req.transport.id ?? undefined } };
    return this.startSession(conn, 'subscribe', options, req.transport.id);
  }

  /** The portal names the session; a new transport takes the session's id (owt-compat.md). */
  private async startSession(
    conn: ClientConnection,
    method: 'publish' | 'subscribe',
    options: unknown,
    transportId: string | null | undefined,
  ): Promise<{ id: string; transportId: string }> {
    const sessionId = randomBytes(12).toString('hex');
    const result = await this.forward(conn, method, [sessionId, options]);
    const answered =
      typeof result === 'object' && result !== null
        ? (result as { transportId?: unknown }).transportId
        : undefined;
    return {
      id: sessionId,
      transportId: typeof answered === 'string' ? answered : (transportId ?? sessionId),
    };
  }

  private control(
    conn: ClientConnection,
    method: 'streamControl' | 'subscriptionControl',
    req: { id: string; operation: string; data: unknown },
  ): Promise<unknown> {
    return this.forward(conn, method, [req.id, { operation: req.operation, data: req.data }]);
  }

  private async soac(conn: ClientConnection, data: unknown): Promise<unknown> {
    const req = parse(soacSchema, data);
    await this.forward(conn, 'onTransportSignaling', [req.id, req.signaling]);
    return undefined;
  }

  // --- participants and rooms ---------------------------------------------------------------

  /** Calls `method(roomId, participantId, ...args)` on the participant's conference node. */
  private async forward(conn: ClientConnection, method: string, args: unknown[]): Promise<unknown> {
    const p = requireParticipant(conn);
    return this.callNode(p, method, [p.id, ...args]);
  }

  private async callNode(
    p: Participant,
    method: string,
    args: unknown[],
    timeoutMs?: number,
  ): Promise<unknown> {
    try {
      return await this.options.bus.call(p.nodeId, method, [p.roomId, ...args], {
        timeoutMs: timeoutMs ?? this.options.config.rpcTimeoutMs,
      });
    } catch (err) {
      if (err instanceof RpcTargetUnavailableError) {
        // After the error ack has gone out: then `drop`.
        setImmediate(() => this.nodeLost(p.nodeId));
        throw new RoomUnavailableError('the room is no longer available');
      }
      throw err;
    }
  }

  private async join(
    roomId: string,
    preference: ParticipantJoin['preference'],
    join: ParticipantJoin,
  ): Promise<{ nodeId: string; result: JoinResult }> {
    for (let attempt = 0; ; attempt++) {
      const nodeId = await this.locator.locate(roomId, preference);
      try {
        const result = await this.options.bus.call<JoinResult>(nodeId, 'join', [roomId, join], {
          timeoutMs: this.options.config.rpcTimeoutMs,
        });
        if (typeof result !== 'object' || result === null || !result.room || !result.permission) {
          throw new RoomUnavailableError('the conference node gave no join result');
        }
        return { nodeId, result };
      } catch (err) {
        // A cached node that went away: look the room up once more.
        if (err instanceof RpcTargetUnavailableError && attempt === 0) {
          this.locator.forget(roomId);
          continue;
        }
        if (this.participants.inRoom(roomId).length === 0) this.locator.forget(roomId);
        throw err;
      }
    }
  }

  private deliver(p: Participant, event: PortalEvent, data: unknown): void {
    const connected = p.connection !== undefined;
    if (p.reconnection) {
      p.events.push(event, data, connected);
      if (p.events.lost) {
        void this.leave(p, 'too many events missed while away');
        return;
      }
    }
    p.connection?.socket.emit(event, data);
  }

  /** The socket is gone: keep a participant that can relogin, else leave at once. */
  private away(p: Participant): void {
    if (!p.reconnection) {
      void this.leave(p, 'disconnected');
      return;
    }
    clearTimeout(p.keepTimer);
    p.keepTimer = setTimeout(
      () => void this.leave(p, 'did not reconnect in time'),
      this.options.config.participantKeepMs,
    );
    p.keepTimer.unref();
  }

  /** The participant leaves its room (logout, timeout, shutdown). */
  private async leave(p: Participant, why: string): Promise<void> {
    if (!this.participants.remove(p)) return;
    this.detach(p);
    log.info({ participant: p.id, room: p.roomId, why }, 'participant leaves');
    this.forgetRoomIfEmpty(p.roomId);
    await this.callNode(p, 'leave', [p.id], Math.min(this.options.config.rpcTimeoutMs, 2000)).catch(
      (err: unknown) =>
        log.warn({ participant: p.id, err: reasonOf(err) }, 'leave not delivered to the conference node'),
    );
  }

  /** The conference removed the participant (or its room is gone): `drop`, then close. */
  private drop(p: Participant, why: string): void {
    if (!this.participants.remove(p)) return;
    log.info({ participant: p.id, room: p.roomId, why }, 'participant dropped');
    const conn = p.connection;
    this.detach(p);
    this.forgetRoomIfEmpty(p.roomId);
    if (conn) {
      conn.socket.emit('drop');
      conn.socket.disconnect();
    }
  }

  private detach(p: Participant): void {
    if (p.connection?.participant === p) p.connection.participant = undefined;
    p.connection = undefined;
  }

  private forgetRoomIfEmpty(roomId: string): void {
    if (this.participants.inRoom(roomId).length === 0) this.locator.forget(roomId);
  }
}

function parse<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) throw new PortalRequestError(`invalid message: ${describeIssues(result.error)}`);
  return result.data;
}

function requireParticipant(conn: ClientConnection): Participant {
  if (!conn.participant) throw new NotLoggedInError();
  return conn.participant;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
