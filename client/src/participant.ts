import type { ParticipantInfo } from './protocol.js';
import { TypedEmitter } from './typed-emitter.js';

export interface ParticipantEvents {
  [event: string]: unknown;
  left: { participant: Participant };
}

/** Someone in the room (this client included). Fires `left` when they leave. */
export class Participant extends TypedEmitter<ParticipantEvents> {
  readonly id: string;
  readonly user: string;
  readonly role: string;

  constructor(info: ParticipantInfo) {
    super();
    this.id = info.id;
    this.user = info.user;
    this.role = info.role;
  }

  /** @internal */
  markLeft(): void {
    this.emit('left', { participant: this });
  }
}
