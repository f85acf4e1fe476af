import type { Logger } from '../common/logger.js';
import { MediaSetupError } from './errors.js';
import type { MediaClient } from './media-client.js';
import type { MediaKind } from './permissions.js';
import { linkKey, linkSubscriptionId, type StreamLink } from './room-state.js';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Internal links that bring a router stream from its publisher's webrtc node to a subscriber's
 * node (docs/internal-links.md). One link per stream per destination node, shared by its users
 * (subscriptions) and torn down when the last lets go. Nodes reported lost get no calls.
 */
export class StreamLinks {
  private readonly links = new Map<string, StreamLink>();
  /** Teardowns in flight: a new link with the same key waits for them (same link ids). */
  private readonly closing = new Map<string, Promise<void>>();

  constructor(
    private readonly media: MediaClient,
    private readonly nodeAlive: (nodeId: string) => boolean,
    private readonly log: Logger,
  ) {}

  /**
   * Adds `userId` to the link (setting it up if new); resolves with its key once it carries.
   * `kinds`: only those frames cross (mixer nodes need one kind); a link is shared only by users
   * whose kinds it carries.
   */
  async use(
    userId: string,
    streamId: string,
    publicationId: string,
    srcNode: string,
    destNode: string,
    kinds?: readonly MediaKind[],
  ): Promise<string> {
    const key = linkKey(streamId, destNode);
    let link = this.links.get(key);
    if (link?.kinds && !(kinds ?? ['audio', 'video']).every((k) => link?.kinds?.includes(k)))
      throw new MediaSetupError(
        `the link of ${streamId} to ${destNode} carries only ${link.kinds.join('+')}, ${userId} needs ${(kinds ?? ['audio', 'video']).join('+')}`,
      );
    if (!link) {
      const linkSubId = linkSubscriptionId(streamId, destNode);
      const previous = this.closing.get(key);
      const fresh: StreamLink = {
        key,
        streamId,
        publicationId,
        srcNode,
        destNode,
        linkSubId,
        ...(kinds ? { kinds: [...kinds] } : {}),
        users: new Set(),
        setup: (async () => {
          await previous;
          const address = await this.media.getLinkAddress(destNode);
          await this.media.acceptLinkedStream(destNode, streamId, srcNode);
          await this.media.sendStream(srcNode, linkSubId, streamId, address, kinds);
        })(),
      };
      fresh.setup.catch(() => undefined);
      this.links.set(key, fresh);
      this.log.debug({ streamId, srcNode, destNode }, 'internal link set up');
      link = fresh;
    }
    link.users.add(userId);
    try {
      await link.setup;
    } catch (err) {
      void this.tearDown(link);
      throw new MediaSetupError(`internal link ${srcNode} → ${destNode} failed: ${errorText(err)}`, {
        cause: err,
      });
    }
    return key;
  }

  /** `userId` lets go of these links; a link nobody uses any more is torn down. */
  async release(userId: string, keys: Iterable<string>): Promise<void> {
    const work: Promise<void>[] = [];
    for (const key of keys) {
      const link = this.links.get(key);
      if (!link) continue;
      link.users.delete(userId);
      if (link.users.size === 0) work.push(this.tearDown(link));
    }
    await Promise.all(work);
  }

  /** The publication is gone: every link carrying it (or one of its layers) goes. */
  async dropPublication(publicationId: string): Promise<void> {
    const doomed = [...this.links.values()].filter((l) => l.publicationId === publicationId);
    await Promise.all(doomed.map((l) => this.tearDown(l)));
  }

  private tearDown(link: StreamLink): Promise<void> {
    if (this.links.get(link.key) !== link) return this.closing.get(link.key) ?? Promise.resolve();
    this.links.delete(link.key);
    const done = this.close(link).finally(() => {
      if (this.closing.get(link.key) === done) this.closing.delete(link.key);
    });
    this.closing.set(link.key, done);
    return done;
  }

  private async close(link: StreamLink): Promise<void> {
    await link.setup.catch(() => undefined);
    const fields = { streamId: link.streamId, srcNode: link.srcNode, destNode: link.destNode };
    const quietly = (p: Promise<unknown>, what: string) =>
      p.catch((err: unknown) =>
        this.log.debug({ ...fields, err: errorText(err) }, `${what} failed (ignored)`),
      );
    await Promise.all([
      this.nodeAlive(link.srcNode)
        ? quietly(this.media.stopSending(link.srcNode, link.linkSubId), 'link unsubscribe')
        : undefined,
      this.nodeAlive(link.destNode)
        ? quietly(this.media.dropLinkedStream(link.destNode, link.streamId), 'link unpublish')
        : undefined,
    ]);
    this.log.debug(fields, 'internal link torn down');
  }
}
