import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '../logger.js';
import { decodeMessage, encodeMessageChunks } from '../media/frame-wire.js';
import type { LinkMessage } from '../media/link-message.js';
import { KEYFRAME_REQUEST, type MediaFeedback } from '../media/media-feedback.js';
import type { MediaFrame } from '../media/media-frame.js';
import { WireFormatError } from '../media/wire-format-error.js';
import { LinkProtocolError } from './link-errors.js';
import type { TransportConnection } from './link-transport.js';
import type { MessageDeframer } from './message-deframer.js';
import { decideSend, type SendLimits, type StreamSendState } from './send-policy.js';
import { SendQueue } from './send-queue.js';

export type LinkState = 'connecting' | 'open' | 'disconnected' | 'closed';
export type LinkRole = 'client' | 'server';
/** `remote`: the peer sent it. `local`: this link asks for it (frames dropped, reconnected). */
export type FeedbackOrigin = 'remote' | 'local';

export interface MediaLinkEvents {
  /** Authenticated and usable; `resumed` after a reconnect (request keyframes). */
  open: [info: { resumed: boolean }];
  /** The transport dropped; the client side reconnects, the server side waits for it. */
  disconnect: [reason: string];
  /** Closed for good. */
  close: [reason: string];
  error: [err: Error];
  frame: [streamId: string, frame: MediaFrame];
  /** Feedback for a stream this side sends: from the peer, or raised by this link itself. */
  feedback: [streamId: string, feedback: MediaFeedback, origin: FeedbackOrigin];
  /** The peer announced a stream it sends (again after a reconnect: `reannounced`). */
  stream: [streamId: string, info: { reannounced: boolean }];
  streamend: [streamId: string];
  rtt: [ms: number];
  /** The send queue and the transport buffer emptied: a producer that paced itself may go on. */
  drain: [];
}

export interface MediaLinkOptions extends Partial<SendLimits> {
  /** Largest message accepted from the peer (length prefix), in bytes. */
  maxMessageBytes?: number;
  /** Stop writing to the transport above this many buffered bytes; queue instead. */
  transportHighWaterBytes?: number;
  pingIntervalMs?: number;
  /** No bytes from the peer for this long: the transport is considered dead. */
  deadAfterMs?: number;
  /** While a stream waits for a keyframe, repeat the request at most this often. */
  keyframeRequestIntervalMs?: number;
}

export interface MediaLinkStats {
  state: LinkState;
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  framesDropped: number;
  keyframeRequestsRaised: number;
  queuedBytes: number;
  queuedFrames: number;
  transportBufferedBytes: number;
  rttMs: number | undefined;
  reconnects: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

interface OutgoingStream extends StreamSendState {
  lastKeyframeRequestAt: number;
  framesDropped: number;
}

/**
 * One bidirectional internal link between two nodes, carrying any number of streams each
 * way. Owns the slow-consumer policy and ping/RTT; the handshake (link-handshake.ts) and
 * reconnection (connect-link.ts / link-server.ts) attach authenticated transports to it.
 */
export class MediaLink extends EventEmitter<MediaLinkEvents> {
  private linkState: LinkState = 'connecting';
  private conn: TransportConnection | undefined;
  private deframer: MessageDeframer | undefined;
  private readonly queue = new SendQueue();
  private readonly outgoing = new Map<string, OutgoingStream>();
  private readonly incoming = new Set<string>();
  private readonly limits: SendLimits;
  private readonly maxMessageBytes: number;
  private readonly transportHighWater: number;
  private readonly pingIntervalMs: number;
  private readonly deadAfterMs: number;
  private readonly keyframeRequestIntervalMs: number;
  private readonly pings = new Map<number, number>();
  private nextPingId = 1;
  private lastReceivedAt = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private attachCount = 0;
  private closeReason: string | undefined;
  private readonly log: Logger;
  private readonly counters = {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    framesDropped: 0,
    keyframeRequestsRaised: 0,
  };
  private rttMs: number | undefined;
  private readonly onDrain = () => {
    this.flush();
    if (this.queue.isEmpty) this.emit('drain');
  };

  constructor(
    readonly id: string,
    readonly localNodeId: string,
    readonly peerNodeId: string,
    readonly role: LinkRole,
    options: MediaLinkOptions = {},
  ) {
    super();
    const maxQueueBytes = options.maxQueueBytes ?? 16 * 1024 * 1024;
    const maxQueueFrames = options.maxQueueFrames ?? 2048;
    this.limits = {
      maxQueueBytes,
      maxQueueFrames,
      dropThresholdBytes: options.dropThresholdBytes ?? Math.floor(maxQueueBytes / 4),
      dropThresholdFrames: options.dropThresholdFrames ?? Math.floor(maxQueueFrames / 4),
    };
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.transportHighWater = options.transportHighWaterBytes ?? 1024 * 1024;
    this.pingIntervalMs = options.pingIntervalMs ?? 2_000;
    this.deadAfterMs = options.deadAfterMs ?? 10_000;
    this.keyframeRequestIntervalMs = options.keyframeRequestIntervalMs ?? 1_000;
    this.log = createLogger('media-link', { linkId: id, peer: peerNodeId, role });
  }

  get state(): LinkState {
    return this.linkState;
  }

  get isOpen(): boolean {
    return this.linkState === 'open';
  }

  /** True while a frame would be written at once (nothing queued, transport under its mark). */
  get writable(): boolean {
    return (
      this.linkState === 'open' &&
      this.queue.isEmpty &&
      (this.conn?.bufferedBytes ?? 0) < this.transportHighWater
    );
  }

  get messageLimit(): number {
    return this.maxMessageBytes;
  }

  /** Streams this side announced and not ended. */
  get outgoingStreams(): string[] {
    return [...this.outgoing.keys()];
  }

  /** Streams the peer announced and not ended. */
  get incomingStreams(): string[] {
    return [...this.incoming];
  }

  stats(): MediaLinkStats {
    return {
      state: this.linkState,
      ...this.counters,
      queuedBytes: this.queue.queuedBytes,
      queuedFrames: this.queue.queuedFrames,
      transportBufferedBytes: this.conn?.bufferedBytes ?? 0,
      rttMs: this.rttMs,
      reconnects: Math.max(0, this.attachCount - 1),
    };
  }

  /** Per-stream count of frames the slow-consumer policy dropped. */
  droppedFrames(streamId: string): number {
    return this.outgoing.get(streamId)?.framesDropped ?? 0;
  }

  /** Tells the peer a stream starts (also implied by its first frame). */
  announceStream(streamId: string): void {
    if (this.outgoing.has(streamId) || this.linkState === 'closed') return;
    this.outgoing.set(streamId, { awaitingKeyframe: false, lastKeyframeRequestAt: 0, framesDropped: 0 });
    if (this.linkState === 'open') this.sendControl({ type: 'announce', streamId });
  }

  endStream(streamId: string): void {
    if (!this.outgoing.delete(streamId)) return;
    if (this.linkState !== 'open') return;
    const chunks = encodeMessageChunks({ type: 'end', streamId });
    // Ordered after the stream's queued frames, so the peer sees `end` last.
    this.queue.pushMedia({ chunks, bytes: byteLength(chunks), isFrame: false });
    this.flush();
  }

  /**
   * Sends a frame of a stream. Returns false when the frame was dropped (link not open, or the
   * slow-consumer policy). The payload is referenced until written, so it must not be mutated.
   */
  sendFrame(streamId: string, frame: MediaFrame): boolean {
    if (this.linkState === 'closed') return false;
    if (!this.outgoing.has(streamId)) this.announceStream(streamId);
    const stream = this.outgoing.get(streamId)!;
    if (this.linkState !== 'open') {
      this.countDrop(stream);
      if (frame.kind === 'video') stream.awaitingKeyframe = true;
      return false;
    }
    const chunks = encodeMessageChunks({ type: 'frame', streamId, frame });
    const bytes = byteLength(chunks);
    const queued = { bytes: this.queue.queuedBytes, frames: this.queue.queuedFrames };
    const decision = decideSend(frame, bytes, stream, queued, this.limits);
    if (decision !== 'send') {
      this.countDrop(stream);
      if (decision === 'drop-need-keyframe') stream.awaitingKeyframe = true;
      if (stream.awaitingKeyframe) this.raiseKeyframeRequest(streamId, stream);
      return false;
    }
    if (frame.kind === 'video' && frame.keyframe) stream.awaitingKeyframe = false;
    if (this.queue.isEmpty && this.conn && this.conn.bufferedBytes < this.transportHighWater) {
      this.writeNow(chunks, bytes, true);
    } else {
      this.queue.pushMedia({ chunks, bytes, isFrame: true });
      this.flush();
    }
    return true;
  }

  /** Feedback for a stream the peer sends us (keyframe request, target bitrate). */
  sendFeedback(streamId: string, feedback: MediaFeedback): boolean {
    if (this.linkState !== 'open') return false;
    this.sendControl({ type: 'feedback', streamId, feedback });
    return true;
  }

  /** Measures one round trip; rejects if the link drops or no pong comes within timeoutMs. */
  ping(timeoutMs = 5_000): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.linkState !== 'open') {
        reject(new LinkProtocolError(`link ${this.id} is ${this.linkState}`));
        return;
      }
      const onRtt = (ms: number) => {
        clearTimeout(timer);
        this.off('disconnect', onDown);
        this.off('close', onDown);
        resolve(ms);
      };
      const onDown = (reason: string) => {
        clearTimeout(timer);
        this.off('rtt', onRtt);
        reject(new LinkProtocolError(`link ${this.id} went down before pong: ${reason}`));
      };
      const timer = setTimeout(() => {
        this.off('rtt', onRtt);
        this.off('disconnect', onDown);
        this.off('close', onDown);
        reject(new LinkProtocolError(`no pong within ${timeoutMs} ms`));
      }, timeoutMs);
      this.once('rtt', onRtt);
      this.once('disconnect', onDown);
      this.once('close', onDown);
      this.sendPing();
    });
  }

  /** Stops reading from the peer (its sends back up); resume() continues. */
  pauseReceiving(): void {
    this.conn?.pause();
  }

  resumeReceiving(): void {
    this.conn?.resume();
  }

  /**
   * Attaches an authenticated, paused transport. `deframer` holds bytes read past the
   * handshake; they are processed under this link's message limit.
   */
  attach(conn: TransportConnection, deframer: MessageDeframer): void {
    if (this.linkState === 'closed') {
      conn.destroy();
      return;
    }
    if (this.conn) this.detach('replaced by a new connection', false);
    this.conn = conn;
    this.deframer = deframer;
    deframer.setMaxMessageBytes(this.maxMessageBytes);
    this.attachCount++;
    const resumed = this.attachCount > 1;
    this.linkState = 'open';
    this.lastReceivedAt = Date.now();
    conn.on('data', (chunk) => this.onData(conn, chunk));
    conn.on('drain', this.onDrain);
    conn.on('error', (err) => this.log.debug({ err: err.message }, 'transport error'));
    conn.on('close', () => {
      if (this.conn === conn) this.detach('transport closed', true);
    });
    this.startPinging();
    for (const streamId of this.outgoing.keys()) this.sendControl({ type: 'announce', streamId });
    this.log.info({ resumed, remote: conn.remoteAddress }, 'link open');
    this.emit('open', { resumed });
    for (const [streamId, stream] of this.outgoing) {
      // Frames were lost while down (or before the first open): those streams need a keyframe.
      if (!resumed && !stream.awaitingKeyframe) continue;
      stream.awaitingKeyframe = true;
      stream.lastKeyframeRequestAt = 0;
      this.raiseKeyframeRequest(streamId, stream);
    }
    if (this.conn !== conn) return;
    this.onData(conn, Buffer.alloc(0));
    if (this.conn === conn) conn.resume();
  }

  /** Drops the current transport without closing the link (the client side reconnects). */
  dropTransport(reason = 'dropped'): void {
    if (this.conn) this.detach(reason, true);
  }

  /** Closes for good: tells the peer (best effort), flushes, stops reconnecting. */
  close(reason = 'closed'): void {
    if (this.linkState === 'closed') return;
    const conn = this.conn;
    if (conn && this.linkState === 'open') {
      this.flush();
      conn.write(encodeMessageChunks({ type: 'close', reason }));
      conn.end();
    } else {
      conn?.destroy();
    }
    this.teardown();
    this.linkState = 'closed';
    this.closeReason = reason;
    this.log.info({ reason }, 'link closed');
    this.emit('close', reason);
  }

  get closedReason(): string | undefined {
    return this.closeReason;
  }

  private teardown(): void {
    this.stopPinging();
    if (this.conn) {
      this.conn.off('drain', this.onDrain);
      this.conn.removeAllListeners('data');
    }
    this.conn = undefined;
    this.deframer = undefined;
    this.pings.clear();
    this.counters.framesDropped += this.queue.clear();
  }

  private detach(reason: string, emit: boolean): void {
    const conn = this.conn;
    this.teardown();
    conn?.destroy();
    for (const stream of this.outgoing.values()) stream.awaitingKeyframe = true;
    if (this.linkState === 'closed') return;
    this.linkState = 'disconnected';
    this.log.info({ reason }, 'link disconnected');
    if (emit) this.emit('disconnect', reason);
  }

  private fail(err: Error): void {
    this.log.warn({ err: err.message }, 'link protocol error');
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.close(`protocol error: ${err.message}`);
  }

  private onData(conn: TransportConnection, chunk: Buffer): void {
    if (this.conn !== conn || !this.deframer) return;
    this.lastReceivedAt = Date.now();
    let bodies: Buffer[];
    try {
      bodies = this.deframer.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const body of bodies) {
      if (this.conn !== conn) return;
      this.onMessage(body);
    }
  }

  private onMessage(body: Buffer): void {
    let message: LinkMessage;
    try {
      message = decodeMessage(body);
    } catch (err) {
      this.fail(
        err instanceof WireFormatError ? new LinkProtocolError(err.message, { cause: err }) : (err as Error),
      );
      return;
    }
    switch (message.type) {
      case 'frame':
        this.counters.framesReceived++;
        this.counters.bytesReceived += body.byteLength;
        this.emit('frame', message.streamId, message.frame);
        return;
      case 'feedback':
        this.emit('feedback', message.streamId, message.feedback, 'remote');
        return;
      case 'announce': {
        const reannounced = this.incoming.has(message.streamId);
        this.incoming.add(message.streamId);
        this.emit('stream', message.streamId, { reannounced });
        return;
      }
      case 'end':
        if (this.incoming.delete(message.streamId)) this.emit('streamend', message.streamId);
        return;
      case 'ping':
        this.sendControl({ type: 'pong', id: message.id });
        return;
      case 'pong': {
        const sentAt = this.pings.get(message.id);
        if (sentAt === undefined) return;
        this.pings.delete(message.id);
        this.rttMs = performance.now() - sentAt;
        this.emit('rtt', this.rttMs);
        return;
      }
      case 'close':
        this.log.info({ reason: message.reason }, 'peer closed the link');
        this.close(`peer closed: ${message.reason}`);
        return;
      default:
        this.fail(new LinkProtocolError(`unexpected ${message.type} message on an open link`));
    }
  }

  private sendControl(message: LinkMessage): void {
    const chunks = encodeMessageChunks(message);
    const bytes = byteLength(chunks);
    if (this.queue.isEmpty && this.conn && this.conn.bufferedBytes < this.transportHighWater) {
      this.writeNow(chunks, bytes, false);
      return;
    }
    this.queue.pushControl({ chunks, bytes, isFrame: false });
    this.flush();
  }

  private writeNow(chunks: readonly Uint8Array[], bytes: number, isFrame: boolean): void {
    this.conn!.write(chunks);
    this.counters.bytesSent += bytes;
    if (isFrame) this.counters.framesSent++;
  }

  private flush(): void {
    const conn = this.conn;
    if (!conn) return;
    while (conn.bufferedBytes < this.transportHighWater) {
      const message = this.queue.shift();
      if (!message) return;
      this.writeNow(message.chunks, message.bytes, message.isFrame);
      if (this.conn !== conn) return;
    }
  }

  private countDrop(stream: OutgoingStream): void {
    this.counters.framesDropped++;
    stream.framesDropped++;
  }

  private raiseKeyframeRequest(streamId: string, stream: OutgoingStream): void {
    const now = Date.now();
    if (now - stream.lastKeyframeRequestAt < this.keyframeRequestIntervalMs) return;
    stream.lastKeyframeRequestAt = now;
    this.counters.keyframeRequestsRaised++;
    this.emit('feedback', streamId, KEYFRAME_REQUEST, 'local');
  }

  private sendPing(): void {
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId % 0xffffffff) + 1;
    this.pings.set(id, performance.now());
    // Unanswered pings are forgotten after a while so the map stays small.
    if (this.pings.size > 16) this.pings.delete(this.pings.keys().next().value!);
    this.sendControl({ type: 'ping', id });
  }

  private startPinging(): void {
    this.stopPinging();
    if (this.pingIntervalMs <= 0) return;
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastReceivedAt > this.deadAfterMs) {
        this.detach(`nothing received for ${this.deadAfterMs} ms`, true);
        return;
      }
      this.sendPing();
    }, this.pingIntervalMs);
    this.pingTimer.unref();
  }

  private stopPinging(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }
}

function byteLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}
