import type { ClientConnection } from './client-connection.js';
import type { EventBuffer } from './event-buffer.js';
import type { ProtocolVersion } from './message-schemas.js';

/** A logged-in participant on this portal; outlives its socket while the client reconnects. */
export interface Participant {
  id: string;
  roomId: string;
  /** RPC id of the room's conference node. */
  nodeId: string;
  user: string;
  role: string;
  protocol: ProtocolVersion;
  /** Has a reconnection ticket: kept after a disconnect, events buffered for relogin. */
  reconnection: boolean;
  /** Only the latest ticket is accepted. */
  ticketId?: string;
  /** The client's current connection; undefined while it is away. */
  connection?: ClientConnection;
  events: EventBuffer;
  keepTimer?: NodeJS.Timeout;
}

/** Participants by id, with the lookups node loss and room bookkeeping need. */
export class ParticipantRegistry {
  private readonly byId = new Map<string, Participant>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Participant | undefined {
    return this.byId.get(id);
  }

  add(p: Participant): void {
    this.byId.set(p.id, p);
  }

  /** False when it was not (or no longer) registered. */
  remove(p: Participant): boolean {
    if (this.byId.get(p.id) !== p) return false;
    this.byId.delete(p.id);
    clearTimeout(p.keepTimer);
    return true;
  }

  all(): Participant[] {
    return [...this.byId.values()];
  }

  onNode(nodeId: string): Participant[] {
    return this.all().filter((p) => p.nodeId === nodeId);
  }

  inRoom(roomId: string): Participant[] {
    return this.all().filter((p) => p.roomId === roomId);
  }
}
