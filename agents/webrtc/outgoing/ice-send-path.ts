import type { Socket } from 'node:dgram';
import type { RTCDtlsTransport } from 'werift';

type Connection = RTCDtlsTransport['iceTransport']['connection'];
type Pair = NonNullable<Connection['nominated']>;

/**
 * Sends datagrams on the socket and to the address of werift's ICE-selected pair, as a gather
 * send of several buffers (no concatenation). werift's socket is shared with its STUN and DTLS
 * traffic to other addresses, so it cannot be connect()ed. A pair on a non-UDP protocol (TURN)
 * falls back to werift's own send.
 */
export class IceSendPath {
  private pair: Pair | undefined;
  private socket: Socket | undefined;
  private host = '';
  private port = 0;
  /** Datagrams dropped because no pair was usable (not connected yet, consent lost, closed). */
  dropped = 0;

  constructor(private readonly connection: Connection) {}

  send(parts: readonly Buffer[]): boolean {
    const conn = this.connection;
    const pair = conn.nominated;
    if (!pair || conn.state === 'closed' || conn.state === 'failed' || !this.consentFresh()) {
      this.dropped++;
      return false;
    }
    if (pair !== this.pair) this.select(pair);
    const socket = this.socket;
    if (socket) {
      try {
        socket.send(parts as Buffer[], this.port, this.host);
      } catch {
        // Socket closed under us (transport closing): same as a lost datagram.
        this.dropped++;
        return false;
      }
    } else {
      void conn.send(Buffer.concat(parts as Buffer[])).catch(() => {});
    }
    return true;
  }

  private select(pair: Pair): void {
    this.pair = pair;
    const transport = (pair.protocol as { transport?: { socket?: unknown; closed?: boolean } }).transport;
    const socket = transport?.socket as Socket | undefined;
    this.socket = typeof socket?.send === 'function' ? socket : undefined;
    [this.host, this.port] = pair.remoteAddr;
  }

  /** RFC 7675: no media once consent expired (werift's own check is private). */
  private consentFresh(): boolean {
    const conn = this.connection as unknown as { consentFresh?: boolean; iceLite?: boolean };
    return conn.iceLite === true || conn.consentFresh !== false;
  }
}
