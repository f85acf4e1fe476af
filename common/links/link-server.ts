import { EventEmitter } from 'node:events';
import { createLogger } from '../logger.js';
import { encodeMessageChunks } from '../media/frame-wire.js';
import type { RejectCode } from '../media/link-message.js';
import { acceptHandshake } from './link-handshake.js';
import { TicketVerifier, type TicketVerifierOptions } from './link-ticket.js';
import type { LinkTransport, TransportConnection, TransportListener } from './link-transport.js';
import { MediaLink, type MediaLinkOptions } from './media-link.js';
import { tcpTransport } from './tcp-transport.js';

const log = createLogger('link-server');

export interface LinkServerOptions {
  /** This node's id: tickets must name it as their destination. */
  nodeId: string;
  /** The cluster secret (config `cluster.secret`). */
  secret: string;
  host?: string;
  /** 0 picks a free port (see `port` after listen). */
  port?: number;
  transport?: LinkTransport;
  /** A connection that sends no valid hello within this time is closed. */
  authTimeoutMs?: number;
  /** Connections still in their handshake beyond this are refused at once. */
  maxPendingHandshakes?: number;
  /** How long a dropped link waits for its client to reconnect before it closes. */
  resumeWindowMs?: number;
  link?: MediaLinkOptions;
  ticket?: TicketVerifierOptions;
}

export interface LinkRejection {
  remoteAddress: string;
  code: RejectCode;
  reason: string;
}

export interface LinkServerEvents {
  /** A new link was authenticated; listen to it here, it opens right after. */
  link: [link: MediaLink];
  /** A connection was refused (bad ticket, protocol error); for stats and tests. */
  rejected: [rejection: LinkRejection];
}

/**
 * Accepts internal links. Authenticates each connection with its ticket before reading any
 * other byte, and resumes an existing link when its client reconnects with the same link id.
 */
export class LinkServer extends EventEmitter<LinkServerEvents> {
  private readonly links = new Map<string, MediaLink>();
  private readonly resumeTimers = new Map<string, NodeJS.Timeout>();
  private readonly handshaking = new Set<TransportConnection>();
  private readonly verifier: TicketVerifier;
  private closing = false;

  private constructor(
    private readonly listener: TransportListener,
    private readonly options: LinkServerOptions,
  ) {
    super();
    this.verifier = new TicketVerifier(options.secret, options.nodeId, options.ticket);
    listener.on('connection', (conn) => void this.accept(conn));
    listener.on('error', (err) => log.error({ err: err.message }, 'listener error'));
  }

  static async listen(options: LinkServerOptions): Promise<LinkServer> {
    if (!options.secret) throw new TypeError('LinkServer needs the cluster secret');
    const transport = options.transport ?? tcpTransport;
    const listener = await transport.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    log.info(
      { host: listener.host, port: listener.port, transport: transport.name },
      'link server listening',
    );
    return new LinkServer(listener, options);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get host(): string {
    return this.listener.host;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Links currently known (open, or disconnected and waiting for their client). */
  get activeLinks(): MediaLink[] {
    return [...this.links.values()];
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const conn of this.handshaking) conn.destroy();
    for (const link of this.links.values()) link.close('server closing');
    for (const timer of this.resumeTimers.values()) clearTimeout(timer);
    this.resumeTimers.clear();
    await this.listener.close();
  }

  private async accept(conn: TransportConnection): Promise<void> {
    if (this.closing || this.handshaking.size >= (this.options.maxPendingHandshakes ?? 256)) {
      conn.destroy();
      return;
    }
    this.handshaking.add(conn);
    conn.on('error', () => {}); // reported by the handshake or the link
    let result: Awaited<ReturnType<typeof acceptHandshake>>;
    try {
      result = await acceptHandshake(conn, this.options.authTimeoutMs ?? 5_000);
    } catch (err) {
      this.refuse(conn, 'protocol-error', (err as Error).message);
      return;
    } finally {
      this.handshaking.delete(conn);
    }
    const { ticket, deframer } = result;
    if (this.closing) {
      this.refuse(conn, 'server-closing', 'server closing');
      return;
    }
    const verdict = this.verifier.verify(ticket);
    if (!verdict.ok) {
      this.refuse(conn, verdict.code, verdict.reason);
      return;
    }
    let link = this.links.get(ticket.linkId);
    if (link && link.peerNodeId !== ticket.sourceNodeId) {
      this.refuse(conn, 'protocol-error', 'link id in use by another node');
      return;
    }
    const resumed = link !== undefined;
    if (!link) link = this.createLink(ticket.linkId, ticket.sourceNodeId);
    this.clearResumeTimer(link.id);
    conn.write(encodeMessageChunks({ type: 'welcome', resumed }));
    link.attach(conn, deframer);
  }

  private createLink(linkId: string, peerNodeId: string): MediaLink {
    const link = new MediaLink(linkId, this.options.nodeId, peerNodeId, 'server', this.options.link);
    this.links.set(linkId, link);
    link.on('disconnect', () => {
      this.clearResumeTimer(linkId);
      const timer = setTimeout(
        () => link.close('peer did not reconnect'),
        this.options.resumeWindowMs ?? 30_000,
      );
      timer.unref();
      this.resumeTimers.set(linkId, timer);
    });
    link.on('close', () => {
      this.clearResumeTimer(linkId);
      if (this.links.get(linkId) === link) this.links.delete(linkId);
    });
    this.emit('link', link);
    return link;
  }

  private clearResumeTimer(linkId: string): void {
    const timer = this.resumeTimers.get(linkId);
    if (timer) clearTimeout(timer);
    this.resumeTimers.delete(linkId);
  }

  private refuse(conn: TransportConnection, code: RejectCode, reason: string): void {
    log.warn({ remote: conn.remoteAddress, code, reason }, 'link refused');
    conn.write(encodeMessageChunks({ type: 'reject', code, reason: reason.slice(0, 200) }));
    conn.end();
    this.emit('rejected', { remoteAddress: conn.remoteAddress, code, reason });
  }
}
