/**
 * What a portal serves on the bus under its worker id: conference nodes push client events
 * through it. The portal relays them to the participant's socket.io session unchanged (and
 * buffers them while the client is reconnecting, for replay on relogin).
 *
 * - notify(participantId: string, event: 'participant'|'stream'|'text'|'progress', data): void
 * - drop(participantId: string): void        sends `drop` and closes the session
 */
export type PortalEvent = 'participant' | 'stream' | 'text' | 'progress';

export const PORTAL_METHODS = ['notify', 'drop'] as const;
