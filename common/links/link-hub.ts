import { createLogger } from '../logger.js';
import type { MediaFeedback } from '../media/media-feedback.js';
import type { MediaFrame } from '../media/media-frame.js';
import { DuplicateIdError } from '../media/media-router-errors.js';
import { type ConnectLinkOptions, createClientLink } from './connect-link.js';
import type { LinkServer } from './link-server.js';
import type { MediaLink, MediaLinkOptions, MediaLinkStats } from './media-link.js';

const log = createLogger('link-hub');

export interface LinkAddress {
  host: string;
  port: number;
}

export type FrameReceiver = (frame: MediaFrame) => void;

export interface LinkHubOptions {
  nodeId: string;
  secret: string;
  /** Accepts links from other nodes; without it this node only dials out. */
  server?: LinkServer;
  /** Options for links this node dials (transport, reconnect, limits…). */
  client?: Partial<Omit<ConnectLinkOptions, 'host' | 'port' | 'localNodeId' | 'remoteNodeId' | 'secret'>>;
  link?: MediaLinkOptions;
}

/**
 * All internal links of one node, by peer: one link per pair of nodes carries every stream
 * between them, whichever side dialled. Incoming frames are routed to receivers by
 * (peer, stream id); outgoing stream ids are claimed so that two sinks never share one.
 */
export class LinkHub {
  private readonly links = new Map<string, Set<MediaLink>>();
  private readonly receivers = new Map<string, FrameReceiver>();
  /** The link each incoming stream last arrived on: its feedback goes back that way. */
  private readonly arrivedOn = new Map<string, MediaLink>();
  private readonly claimed = new Set<string>();
  private closed = false;

  constructor(private readonly options: LinkHubOptions) {
    options.server?.on('link', (link) => this.track(link));
    for (const link of options.server?.activeLinks ?? []) this.track(link);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Where other nodes reach this node's LinkServer, if it has one. */
  get address(): LinkAddress | undefined {
    const server = this.options.server;
    return server ? { host: server.host, port: server.port } : undefined;
  }

  /** A usable link to the peer: an existing one (either direction) or a new one dialled to `address`. */
  linkTo(peerNodeId: string, address: LinkAddress): MediaLink {
    if (this.closed) throw new Error('link hub closed');
    const existing = this.bestLink(peerNodeId);
    if (existing) return existing;
    const link = createClientLink({
      ...this.options.client,
      link: this.options.link ?? this.options.client?.link,
      host: address.host,
      port: address.port,
      localNodeId: this.options.nodeId,
      remoteNodeId: peerNodeId,
      secret: this.options.secret,
    });
    this.track(link);
    return link;
  }

  /** Delivers frames of `streamId` arriving from `peerNodeId` to `receiver`; returns the undo. */
  receive(peerNodeId: string, streamId: string, receiver: FrameReceiver): () => void {
    const key = streamKey(peerNodeId, streamId);
    if (this.receivers.has(key)) {
      throw new DuplicateIdError(`stream ${streamId} from ${peerNodeId} already has a receiver`);
    }
    this.receivers.set(key, receiver);
    return () => {
      if (this.receivers.get(key) === receiver) this.receivers.delete(key);
      this.arrivedOn.delete(key);
    };
  }

  /** Sends feedback for a stream arriving from the peer. False if no link to it is open. */
  sendFeedback(peerNodeId: string, streamId: string, feedback: MediaFeedback): boolean {
    const key = streamKey(peerNodeId, streamId);
    const via = this.arrivedOn.get(key);
    if (via?.isOpen) return via.sendFeedback(streamId, feedback);
    return this.bestLink(peerNodeId)?.sendFeedback(streamId, feedback) ?? false;
  }

  /** Reserves an outgoing stream id towards a peer; returns the release. */
  claimOutgoing(peerNodeId: string, streamId: string): () => void {
    const key = streamKey(peerNodeId, streamId);
    if (this.claimed.has(key))
      throw new DuplicateIdError(`stream ${streamId} is already sent to ${peerNodeId}`);
    this.claimed.add(key);
    return () => this.claimed.delete(key);
  }

  /** Every link of this node with its counters, for stats. */
  linkStats(): (MediaLinkStats & { linkId: string; peerNodeId: string; role: string })[] {
    return [...this.links.values()].flatMap((set) =>
      [...set].map((link) => ({
        linkId: link.id,
        peerNodeId: link.peerNodeId,
        role: link.role,
        ...link.stats(),
      })),
    );
  }

  linksWith(peerNodeId: string): MediaLink[] {
    return [...(this.links.get(peerNodeId) ?? [])];
  }

  /** Closes the links this hub dialled and forgets the rest (the server closes its own). */
  close(): void {
    this.closed = true;
    for (const set of this.links.values()) {
      for (const link of set) if (link.role === 'client') link.close('node closing');
    }
    this.links.clear();
    this.receivers.clear();
    this.arrivedOn.clear();
  }

  private bestLink(peerNodeId: string): MediaLink | undefined {
    const set = this.links.get(peerNodeId);
    if (!set) return undefined;
    let fallback: MediaLink | undefined;
    for (const link of set) {
      if (link.isOpen) return link;
      if (link.state !== 'closed') fallback ??= link;
    }
    return fallback;
  }

  private track(link: MediaLink): void {
    if (this.closed) return;
    const peer = link.peerNodeId;
    let set = this.links.get(peer);
    if (!set) {
      set = new Set();
      this.links.set(peer, set);
    }
    set.add(link);
    link.on('frame', (streamId, frame) => {
      const key = streamKey(peer, streamId);
      const receiver = this.receivers.get(key);
      if (!receiver) return;
      this.arrivedOn.set(key, link);
      receiver(frame);
    });
    link.on('close', (reason) => {
      log.debug({ peer, linkId: link.id, reason }, 'link gone');
      this.links.get(peer)?.delete(link);
      if (this.links.get(peer)?.size === 0) this.links.delete(peer);
    });
  }
}

function streamKey(peerNodeId: string, streamId: string): string {
  return `${peerNodeId}\u0000${streamId}`;
}
