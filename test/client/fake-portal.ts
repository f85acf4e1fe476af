/**
 * A fake OWT portal (protocol 1.2) on the real socket.io server, implementing just enough for
 * unit tests of the browser SDK: login/relogin with tickets and replay, publish/subscribe with
 * transport ids, soac answers and `progress`, text, controls and logout. Everything it receives
 * and sends is journaled in order so that tests can check sequences.
 */
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';

export type Ack = (status: 'ok' | 'error', result?: unknown) => void;

export interface Received {
  name: string;
  data: unknown;
  participant: string | undefined;
}

/** Answers offers with a real peer connection instead of echoing them (browser tests). */
export interface Answerer {
  answer(transportId: string, offer: string): Promise<{ sdp: string; connected: Promise<void> }>;
  addCandidate(
    transportId: string,
    candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null },
  ): Promise<void>;
}

export interface PortalBehaviour {
  /** Answer publish/subscribe with `error` and this reason. */
  rejectSessions?: string;
  /** 'normal': answer each offer; 'none': never; 'bad': an answer the fake PC refuses. */
  answer: 'normal' | 'none' | 'bad';
  answerDelayMs: number;
  /** 'normal': ready with sessionId after the answer; 'none'; 'wrong-transport'; 'error'. */
  ready: 'normal' | 'none' | 'wrong-transport' | 'error';
  ticketLifeMs: number;
  relogin: '1.2' | '1.1' | 'refuse';
  answerer?: Answerer;
}

interface FakeParticipant {
  id: string;
  user: string;
  role: string;
  socket: Socket | undefined;
  buffer: { event: string; data: unknown; seq: number }[];
}

interface FakeSession {
  id: string;
  transportId: string;
  participant: string;
  kind: 'publish' | 'subscribe';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FakePortal {
  readonly received: Received[] = [];
  /** 'recv NAME[:type]' and 'send EVENT[:status]' lines in order. */
  readonly journal: string[] = [];
  readonly participants = new Map<string, FakeParticipant>();
  readonly sessions = new Map<string, FakeSession>();
  streams: unknown[] = [];
  behaviour: PortalBehaviour = {
    answer: 'normal',
    answerDelayMs: 20,
    ready: 'normal',
    ticketLifeMs: 600_000,
    relogin: '1.2',
  };
  private counter = 0;
  private seq = 0;
  private readonly usedTokens = new Set<string>();

  private constructor(
    private readonly http: HttpServer,
    private readonly io: Server,
    readonly port: number,
  ) {
    io.on('connection', (socket) => this.onConnection(socket));
  }

  static async start(): Promise<FakePortal> {
    const http = createServer();
    const io = new Server(http, {
      allowEIO3: true,
      pingInterval: 1000,
      pingTimeout: 1000,
      cors: { origin: true, credentials: true },
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    return new FakePortal(http, io, (http.address() as AddressInfo).port);
  }

  /** An OWT-shaped token naming this portal (the signature is not checked here). */
  token(): string {
    const tokenId = `t${++this.counter}`;
    return Buffer.from(
      JSON.stringify({ tokenId, host: `127.0.0.1:${this.port}`, secure: false, signature: 'sig' }),
    ).toString('base64');
  }

  requests(name: string): Received[] {
    return this.received.filter((r) => r.name === name);
  }

  /** Sends a server event to a participant, or buffers it for replay while they are away. */
  notify(participantId: string, event: string, data: unknown): void {
    const participant = this.participants.get(participantId);
    if (!participant) throw new Error(`no participant ${participantId}`);
    if (participant.socket?.connected) {
      participant.socket.emit(event, data);
      const status = isRecord(data) ? (data.status ?? data.action) : undefined;
      this.journal.push(`send ${event}${typeof status === 'string' ? `:${status}` : ''}`);
    } else {
      participant.buffer.push({ event, data, seq: ++this.seq });
    }
  }

  notifyAll(event: string, data: unknown): void {
    for (const id of this.participants.keys()) this.notify(id, event, data);
  }

  /** Breaks the connection underneath socket.io: the client should reconnect and relogin. */
  cutNetwork(participantId: string): void {
    // discard: no orderly close (which, on polling, can wait 30 s for the next poll).
    this.participants.get(participantId)?.socket?.conn.close(true);
  }

  drop(participantId: string): void {
    const socket = this.participants.get(participantId)?.socket;
    socket?.emit('drop');
    socket?.disconnect(true);
  }

  ticket(participantId: string, lifeMs = this.behaviour.ticketLifeMs): string {
    const now = Date.now();
    return Buffer.from(
      JSON.stringify({
        participantId,
        ticketId: `k${++this.counter}`,
        notBefore: now,
        notAfter: now + lifeMs,
        signature: 'sig',
      }),
    ).toString('base64');
  }

  async close(): Promise<void> {
    this.io.disconnectSockets(true);
    // io.close() waits for the HTTP server, which waits for idle keep-alive connections: cut them.
    const closing = this.io.close();
    this.http.closeAllConnections();
    await closing;
  }

  private async answerWith(
    answerer: Answerer,
    participant: string,
    transportId: string,
    sessionId: string,
    offer: string,
  ): Promise<void> {
    try {
      const { sdp, connected } = await answerer.answer(transportId, offer);
      this.notify(participant, 'progress', {
        id: transportId,
        status: 'soac',
        data: { type: 'answer', sdp },
      });
      await connected;
      this.notify(participant, 'progress', { id: transportId, status: 'ready' });
      this.notify(participant, 'progress', { id: transportId, status: 'ready', sessionId });
    } catch (error) {
      this.notify(participant, 'progress', {
        id: transportId,
        status: 'error',
        sessionId,
        data: String(error),
      });
    }
  }

  private onConnection(socket: Socket): void {
    let self: FakeParticipant | undefined;
    const record = (name: string, data: unknown): Received => {
      const entry = { name, data, participant: self?.id };
      this.received.push(entry);
      const type = isRecord(data) && isRecord(data.signaling) ? `:${String(data.signaling.type)}` : '';
      this.journal.push(`recv ${name}${type}`);
      return entry;
    };
    socket.on('login', (data: unknown, ack: Ack) => {
      const entry = record('login', data);
      const token = isRecord(data) && typeof data.token === 'string' ? data.token : '';
      if (!token || this.usedTokens.has(token)) return ack('error', 'invalid token');
      this.usedTokens.add(token);
      const id = `p${++this.counter}`;
      const user = `user-${id}`;
      for (const other of this.participants.keys())
        this.notify(other, 'participant', { action: 'join', data: { id, user, role: 'presenter' } });
      self = { id, user, role: 'presenter', socket, buffer: [] };
      entry.participant = id;
      this.participants.set(id, self);
      ack('ok', {
        id,
        user,
        role: 'presenter',
        permission: { publish: { audio: true, video: true }, subscribe: { audio: true, video: true } },
        room: {
          id: 'room-1',
          views: ['common'],
          participants: [...this.participants.values()].map((p) => ({
            id: p.id,
            user: p.user,
            role: p.role,
          })),
          streams: this.streams,
        },
        reconnectionTicket: this.ticket(id),
      });
    });
    socket.on('relogin', (data: unknown, ack: Ack) => {
      record('relogin', data);
      const ticket = typeof data === 'string' ? data : isRecord(data) ? data.ticket : undefined;
      let participantId: unknown;
      try {
        participantId = JSON.parse(Buffer.from(String(ticket), 'base64').toString()).participantId;
      } catch {
        participantId = undefined;
      }
      const participant =
        typeof participantId === 'string' ? this.participants.get(participantId) : undefined;
      if (!participant || this.behaviour.relogin === 'refuse')
        return ack('error', 'invalid reconnection ticket');
      self = participant;
      participant.socket = socket;
      const messages = participant.buffer.splice(0);
      const fresh = this.ticket(participant.id);
      if (this.behaviour.relogin === '1.1') {
        ack('ok', fresh);
        for (const m of messages) socket.emit(m.event, m.data);
      } else {
        ack('ok', { ticket: fresh, messages });
      }
    });
    socket.on('refreshReconnectionTicket', (ack: Ack) => {
      record('refreshReconnectionTicket', undefined);
      if (!self) return ack('error', 'not logged in');
      ack('ok', this.ticket(self.id));
    });
    socket.on('logout', (ack: Ack) => {
      record('logout', undefined);
      ack('ok');
    });
    for (const kind of ['publish', 'subscribe'] as const) {
      socket.on(kind, (data: unknown, ack: Ack) => {
        record(kind, data);
        if (!self) return ack('error', 'not logged in');
        if (this.behaviour.rejectSessions) return ack('error', this.behaviour.rejectSessions);
        const id = `${kind === 'publish' ? 'pub' : 'sub'}${++this.counter}`;
        const transport = isRecord(data) && isRecord(data.transport) ? data.transport : {};
        const transportId = typeof transport.id === 'string' ? transport.id : id;
        this.sessions.set(id, { id, transportId, participant: self.id, kind });
        ack('ok', { id, transportId });
      });
    }
    socket.on('soac', (data: unknown, ack: Ack) => {
      record('soac', data);
      ack('ok');
      if (!self || !isRecord(data) || !isRecord(data.signaling)) return;
      const transportId = String(data.id);
      const answerer = this.behaviour.answerer;
      if (data.signaling.type === 'candidate' && answerer && isRecord(data.signaling.candidate)) {
        const { candidate, sdpMid, sdpMLineIndex } = data.signaling.candidate;
        void answerer.addCandidate(transportId, {
          candidate: String(candidate),
          sdpMid: typeof sdpMid === 'string' ? sdpMid : null,
          sdpMLineIndex: typeof sdpMLineIndex === 'number' ? sdpMLineIndex : null,
        });
      }
      if (data.signaling.type !== 'offer') return;
      const offer = String(data.signaling.sdp);
      const session = [...this.sessions.values()].filter((s) => s.transportId === transportId).pop();
      const participant = self.id;
      if (!session || this.behaviour.answer === 'none') return;
      if (answerer) {
        void this.answerWith(answerer, participant, transportId, session.id, offer);
        return;
      }
      setTimeout(() => {
        const sdp =
          offer.replace(/a=sendonly/g, 'a=recvonly') +
          (this.behaviour.answer === 'bad' ? 'a=reject-me\r\n' : '');
        this.notify(participant, 'progress', {
          id: transportId,
          status: 'soac',
          data: { type: 'answer', sdp },
        });
        const ready = this.behaviour.ready;
        if (ready === 'normal') {
          this.notify(participant, 'progress', { id: transportId, status: 'ready', sessionId: session.id });
        } else if (ready === 'wrong-transport') {
          this.notify(participant, 'progress', {
            id: 'other-transport',
            status: 'ready',
            sessionId: session.id, // ours, but on a transport that is not
          });
        } else if (ready === 'error') {
          this.notify(participant, 'progress', {
            id: transportId,
            status: 'error',
            sessionId: session.id,
            data: 'media failed',
          });
        }
      }, this.behaviour.answerDelayMs);
    });
    socket.on('text', (data: unknown, ack: Ack) => {
      record('text', data);
      ack('ok');
      if (self && isRecord(data)) this.notifyAll('text', { from: self.id, to: 'all', message: data.message });
    });
    for (const name of ['unpublish', 'unsubscribe', 'stream-control', 'subscription-control']) {
      socket.on(name, (data: unknown, ack: Ack) => {
        record(name, data);
        ack('ok');
      });
    }
    socket.on('disconnect', () => {
      if (self && self.socket === socket) self.socket = undefined;
    });
  }
}
