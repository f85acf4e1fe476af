import type { MuteTarget, TrackKind } from './protocol.js';
import type { SessionChannel } from './session-channel.js';
import { TypedEmitter } from './typed-emitter.js';

export interface PublicationEvents {
  [event: string]: unknown;
  /** Stopped by stop(), by the server (stream removed) or by a failure. */
  ended: { publication: Publication };
  error: { publication: Publication; error: Error };
  mute: { publication: Publication; kind: MuteTarget };
  unmute: { publication: Publication; kind: MuteTarget };
}

/** A local stream being published. `id` is the stream id the room sees. */
export class Publication extends TypedEmitter<PublicationEvents> {
  private done = false;

  constructor(
    readonly id: string,
    readonly stream: MediaStream,
    private readonly transceivers: RTCRtpTransceiver[],
    private readonly channel: SessionChannel,
  ) {
    super();
  }

  get ended(): boolean {
    return this.done;
  }

  /** Pauses forwarding of audio, video or both ('av') for every subscriber. */
  async mute(kind: TrackKind | 'av' = 'av'): Promise<void> {
    await this.channel.request('stream-control', { id: this.id, operation: 'pause', data: kind });
    this.emit('mute', { publication: this, kind });
  }

  async unmute(kind: TrackKind | 'av' = 'av'): Promise<void> {
    await this.channel.request('stream-control', { id: this.id, operation: 'play', data: kind });
    this.emit('unmute', { publication: this, kind });
  }

  /** Adds this stream to the room's mixed view(s) (the MCU composes it into their mixed stream). */
  async mix(view: string | string[]): Promise<void> {
    await this.channel.request('stream-control', { id: this.id, operation: 'mix', data: view });
  }

  async unmix(view: string | string[]): Promise<void> {
    await this.channel.request('stream-control', { id: this.id, operation: 'unmix', data: view });
  }

  /** The id of the region this stream occupies in a view's layout. */
  async getRegion(view: string): Promise<string> {
    const result = (await this.channel.request('stream-control', {
      id: this.id,
      operation: 'get-region',
      data: view,
    })) as { region?: unknown } | undefined;
    if (typeof result?.region !== 'string') throw new Error(`no region for view ${view}`);
    return result.region;
  }

  /** Pins this stream to a region of a view's layout. */
  async setRegion(view: string, region: string): Promise<void> {
    await this.channel.request('stream-control', {
      id: this.id,
      operation: 'set-region',
      data: { view, region },
    });
  }

  /** Peer connection statistics of this publication's senders. */
  async getStats(): Promise<RTCStatsReport[]> {
    return Promise.all(this.transceivers.map((t) => t.sender.getStats()));
  }

  /**
   * Unpublishes. Like the OWT SDK, no renegotiation: the m-lines stay (sendonly, no track)
   * and the server marks them inactive in later answers.
   */
  async stop(): Promise<void> {
    if (this.done) return;
    this.finish();
    await this.channel.request('unpublish', { id: this.id }).catch(() => undefined);
  }

  /** @internal Ends without telling the server (it already knows, or we are leaving). */
  finish(error?: Error): void {
    if (this.done) return;
    this.done = true;
    for (const transceiver of this.transceivers) {
      transceiver.sender.replaceTrack(null).catch(() => undefined);
    }
    this.channel.release(this.id);
    if (error) this.emit('error', { publication: this, error });
    this.emit('ended', { publication: this });
  }
}
