/**
 * Loads the browser SDK into Node for unit tests: client/ has its own tsconfig (lib dom) and
 * is not compiled by the root one, so the tests bundle client/src with esbuild (socket.io-client
 * left external, resolved from node_modules) and import the result. The interfaces below are
 * the part of the SDK's public API the tests use, written out structurally for that reason.
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export interface SdkParticipant {
  id: string;
  user: string;
  role: string;
  on(type: 'left', listener: () => void): unknown;
}

export interface SdkRemoteStream {
  id: string;
  origin: string;
  type: string;
  hasAudio: boolean;
  hasVideo: boolean;
  layers: { rid: string; trackId: string }[];
  isMuted(kind: 'audio' | 'video'): boolean;
  on(
    type: 'ended' | 'updated' | 'mute' | 'unmute',
    listener: (event: { kind?: string; field?: string }) => void,
  ): unknown;
}

export interface SdkSession {
  id: string;
  ended: boolean;
  mute(kind?: 'audio' | 'video' | 'av'): Promise<void>;
  unmute(kind?: 'audio' | 'video' | 'av'): Promise<void>;
  stop(): Promise<void>;
  on(type: 'ended' | 'error', listener: (event: { error?: Error }) => void): unknown;
}

export interface SdkSubscription extends SdkSession {
  applyOptions(options: { video: Record<string, unknown> }): Promise<void>;
}

export interface SdkConferenceInfo {
  id: string;
  self: { id: string; user: string; role: string };
  participants: SdkParticipant[];
  remoteStreams: SdkRemoteStream[];
}

export interface SdkEvents {
  participantjoined: { participant: SdkParticipant };
  participantleft: { participant: SdkParticipant };
  streamadded: { stream: SdkRemoteStream };
  streamremoved: { stream: SdkRemoteStream };
  streamupdated: { stream: SdkRemoteStream; field: string };
  messagereceived: { message: string; origin: string; to: string };
  serverdisconnected: { reason: string };
  reconnecting: { reason: string };
  reconnected: { replayed: number };
}

export interface SdkClient {
  readonly transportId: string | undefined;
  readonly reconnectionTicket: string | undefined;
  readonly participants: SdkParticipant[];
  readonly remoteStreams: SdkRemoteStream[];
  join(token: string): Promise<SdkConferenceInfo>;
  publish(stream: unknown, options?: Record<string, unknown>): Promise<SdkSession>;
  subscribe(stream: SdkRemoteStream, options?: Record<string, unknown>): Promise<SdkSubscription>;
  send(message: string, to?: string): Promise<void>;
  leave(): Promise<void>;
  on<K extends keyof SdkEvents>(type: K, listener: (event: SdkEvents[K]) => void): unknown;
}

export interface SdkModule {
  ConferenceClient: new (options?: Record<string, unknown>) => SdkClient;
  decodeToken(token: string): { tokenId: string; host: string; secure: boolean };
  portalUrl(token: { host: string; secure: boolean }): string;
  decodeTicket(ticket: string): { participantId: string; notAfter: number };
  reorderCodecs(sdp: string, index: number, codecs: string[]): string;
  sdpMids(sdp: string): string[];
  candidateLine(candidate: string): string;
  VERSION: string;
}

const entry = fileURLToPath(new URL('../../../client/src/index.ts', import.meta.url));

/** Bundles and imports the SDK; call the returned cleanup when done. */
export async function loadSdk(): Promise<{ sdk: SdkModule; cleanup: () => Promise<void> }> {
  const outfile = fileURLToPath(new URL(`./.sdk-${process.pid}-${Date.now()}.mjs`, import.meta.url));
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  const sdk = (await import(pathToFileURL(outfile).href)) as SdkModule;
  return { sdk, cleanup: () => rm(outfile, { force: true }) };
}
