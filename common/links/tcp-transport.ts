import { EventEmitter } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type {
  LinkTransport,
  TransportConnection,
  TransportConnectionEvents,
  TransportListener,
  TransportListenerEvents,
} from './link-transport.js';

const CORK_LIMIT = 64 * 1024;

/** A link over one TCP connection; Nagle off because feedback and pings are tiny and urgent. */
class TcpConnection extends EventEmitter<TransportConnectionEvents> implements TransportConnection {
  readonly remoteAddress: string;
  private corked = false;
  private corkedBytes = 0;
  private readonly uncork = () => {
    if (!this.corked) return;
    this.corked = false;
    this.corkedBytes = 0;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket) {
    super();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    socket.on('close', () => this.emit('close'));
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.socket.destroyed) return;
    // Small messages written in one tick leave in one writev (a system call per frame costs
    // more than the rest of the link); past CORK_LIMIT bytes they leave at once.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    for (const chunk of chunks) {
      this.socket.write(chunk);
      this.corkedBytes += chunk.byteLength;
    }
    if (this.corkedBytes >= CORK_LIMIT) this.uncork();
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
    // A peer that never reads would keep the socket half-closed forever.
    const timer = setTimeout(() => this.socket.destroy(), 5_000);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

class TcpListener extends EventEmitter<TransportListenerEvents> implements TransportListener {
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {
    super();
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      this.emit('connection', new TcpConnection(socket));
    });
    server.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  /** Stops accepting; open sockets get a second to flush their last words, then are destroyed. */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, 1_000);
    for (const socket of this.sockets) socket.end();
    return closed.finally(() => clearTimeout(timer));
  }
}

export const tcpTransport: LinkTransport = {
  name: 'tcp',

  listen(host, port) {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        const bound = typeof address === 'object' && address !== null ? address.port : port;
        resolve(new TcpListener(server, host, bound));
      });
    });
  },

  connect(host, port, timeoutMs) {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TcpConnection(socket));
      });
    });
  },
};
