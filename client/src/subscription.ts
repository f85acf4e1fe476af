import { type VideoSubscribeOptions, videoParameters } from './options.js';
import type { MuteTarget, TrackKind } from './protocol.js';
import type { RemoteStream } from './remote-stream.js';
import type { SessionChannel } from './session-channel.js';
import { TypedEmitter } from './typed-emitter.js';

export interface SubscriptionEvents {
  [event: string]: unknown;
  ended: { subscription: Subscription };
  error: { subscription: Subscription; error: Error };
  mute: { subscription: Subscription; kind: MuteTarget };
  unmute: { subscription: Subscription; kind: MuteTarget };
}

/** A remote stream being received; `stream` is what to put in a <video>. */
export class Subscription extends TypedEmitter<SubscriptionEvents> {
  private done = false;

  constructor(
    readonly id: string,
    readonly source: RemoteStream,
    /** The received media (undefined where MediaStream does not exist, e.g. in Node tests). */
    readonly stream: MediaStream | undefined,
    private readonly transceivers: RTCRtpTransceiver[],
    private readonly channel: SessionChannel,
  ) {
    super();
  }

  get ended(): boolean {
    return this.done;
  }

  get tracks(): MediaStreamTrack[] {
    return this.transceivers.map((t) => t.receiver.track);
  }

  /** Asks the server to stop sending audio, video or both ('av'). */
  async mute(kind: TrackKind | 'av' = 'av'): Promise<void> {
    await this.channel.request('subscription-control', { id: this.id, operation: 'pause', data: kind });
    this.emit('mute', { subscription: this, kind });
  }

  async unmute(kind: TrackKind | 'av' = 'av'): Promise<void> {
    await this.channel.request('subscription-control', { id: this.id, operation: 'play', data: kind });
    this.emit('unmute', { subscription: this, kind });
  }

  /** Changes the video wanted: another simulcast layer (rid), resolution, frame rate or bitrate. */
  async applyOptions(options: { video: VideoSubscribeOptions }): Promise<void> {
    const video: { from?: string; parameters?: ReturnType<typeof videoParameters> } = {};
    if (options.video.rid !== undefined) {
      const layer = this.source.layers.find((l) => l.rid === options.video.rid);
      if (!layer)
        throw new RangeError(`stream ${this.source.id} has no simulcast layer ${options.video.rid}`);
      video.from = layer.trackId;
    }
    const parameters = videoParameters(options.video);
    if (parameters) video.parameters = parameters;
    await this.channel.request('subscription-control', { id: this.id, operation: 'update', data: { video } });
  }

  async getStats(): Promise<RTCStatsReport[]> {
    return Promise.all(this.transceivers.map((t) => t.receiver.getStats()));
  }

  async stop(): Promise<void> {
    if (this.done) return;
    this.finish();
    await this.channel.request('unsubscribe', { id: this.id }).catch(() => undefined);
  }

  /** @internal Ends without telling the server. */
  finish(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.channel.release(this.id);
    if (error) this.emit('error', { subscription: this, error });
    this.emit('ended', { subscription: this });
  }
}
