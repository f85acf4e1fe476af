import { NotFoundError } from '../common/errors.js';
import { MediaSetupError } from './errors.js';
import type { Locality, MediaClient } from './media-client.js';
import type { Participant, Transport } from './room-state.js';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * A room's transports (one client peer connection on one webrtc node each) and the webrtc
 * nodes reported lost, to which nothing more is sent.
 */
export class Transports {
  private readonly byId = new Map<string, Transport>();
  private readonly lostNodes = new Set<string>();

  constructor(private readonly media: MediaClient) {}

  get(transportId: string): Transport | undefined {
    return this.byId.get(transportId);
  }

  has(transportId: string): boolean {
    return this.byId.has(transportId);
  }

  all(): Transport[] {
    return [...this.byId.values()];
  }

  /** The participant's open transport of that id, else NotFoundError (the client sees it). */
  owned(participantId: string, transportId: string): Transport {
    const transport = this.byId.get(transportId);
    if (!transport || transport.owner !== participantId || transport.closed)
      throw new NotFoundError(`Transport ${transportId} does NOT exist`);
    return transport;
  }

  /** Where an open transport lives, once its node created it. */
  async locOf(transportId: string): Promise<Locality> {
    const transport = this.byId.get(transportId);
    if (!transport || transport.closed) throw new NotFoundError(`Transport ${transportId} does NOT exist`);
    return transport.created;
  }

  /**
   * A new transport for the participant, id = the session that needs it (SDK rule): a webrtc
   * worker scheduled by the participant's preference, its node, createTransport there.
   */
  /**
   * The transport a publish/subscribe runs on: the one it names, or a new one whose id is the
   * session's id (the OWT SDK routes progress by session ids).
   */
  forSession(participant: Participant, sessionId: string, transportId: string | undefined): Transport {
    return transportId === undefined
      ? this.open(participant, sessionId)
      : this.owned(participant.id, transportId);
  }

  open(participant: Participant, transportId: string): Transport {
    const transport: Transport = {
      id: transportId,
      owner: participant.id,
      loc: undefined,
      created: Promise.resolve({ agentId: '', nodeId: '' }),
      ready: false,
      closed: false,
      sessions: new Set(),
    };
    const closedMeanwhile = () =>
      new MediaSetupError(`transport ${transportId} closed while it was being set up`);
    transport.created = (async () => {
      let loc: Locality;
      try {
        loc = await this.media.placeTransport(transportId, participant.preference);
      } catch (err) {
        throw new MediaSetupError(`no webrtc node for transport ${transportId}: ${errorText(err)}`, {
          cause: err,
        });
      }
      transport.loc = loc;
      if (transport.closed) throw closedMeanwhile();
      await this.media.createTransport(loc, transportId, participant.id);
      if (transport.closed) throw closedMeanwhile();
      return loc;
    })();
    // Callers await it; this keeps an unawaited rejection from crashing the node.
    transport.created.catch(() => undefined);
    this.byId.set(transportId, transport);
    return transport;
  }

  /** The client's peer connection goes: node, agent and schedule entry are freed. */
  async close(transport: Transport): Promise<void> {
    if (transport.closed) return;
    transport.closed = true;
    if (this.byId.get(transport.id) === transport) this.byId.delete(transport.id);
    let loc: Locality | undefined;
    try {
      loc = await transport.created;
    } catch {
      loc = transport.loc;
    }
    if (loc?.agentId) await this.media.releaseTransport(loc, transport.id, this.nodeAlive(loc.nodeId));
  }

  /** Marks the node (or every node of the agent that holds a transport) lost; returns the hit transports. */
  markLost(lost: { nodeId?: string; agentId?: string }): Transport[] {
    if (lost.nodeId) this.lostNodes.add(lost.nodeId);
    const hit = this.all().filter(
      (t) => t.loc !== undefined && (t.loc.nodeId === lost.nodeId || t.loc.agentId === lost.agentId),
    );
    for (const t of hit) if (t.loc) this.lostNodes.add(t.loc.nodeId);
    return hit;
  }

  /** A non-webrtc node (streaming, recording) the room used is gone: nothing more is sent to it. */
  markNodeLost(nodeId: string): void {
    this.lostNodes.add(nodeId);
  }

  nodeAlive(nodeId: string | undefined): nodeId is string {
    return nodeId !== undefined && nodeId !== '' && !this.lostNodes.has(nodeId);
  }
}
