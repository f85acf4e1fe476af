import type { EventEmitter } from 'node:events';

/**
 * What a MediaLink needs from a transport: an ordered, reliable byte stream with write
 * backpressure. TCP implements it now; QUIC (one bidirectional stream per link) can later
 * without touching the link logic.
 */
export interface TransportConnectionEvents {
  data: [chunk: Buffer];
  /** The transport's write buffer drained; the link may write more. */
  drain: [];
  close: [];
  error: [err: Error];
}

export interface TransportConnection extends EventEmitter<TransportConnectionEvents> {
  /** Writes the chunks of one message back to back (no other write in between). */
  write(chunks: readonly Uint8Array[]): void;
  /** Bytes accepted by write() and not yet handed to the operating system. */
  readonly bufferedBytes: number;
  readonly remoteAddress: string;
  /** Stops / restarts reading; unread bytes stay in the kernel and push back on the peer. */
  pause(): void;
  resume(): void;
  /** Flushes what is buffered, then closes. */
  end(): void;
  /** Closes now, discarding anything buffered. */
  destroy(): void;
}

export interface TransportListenerEvents {
  connection: [conn: TransportConnection];
  error: [err: Error];
}

export interface TransportListener extends EventEmitter<TransportListenerEvents> {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface LinkTransport {
  readonly name: string;
  listen(host: string, port: number): Promise<TransportListener>;
  connect(host: string, port: number, timeoutMs: number): Promise<TransportConnection>;
}
