import type { Resolution, StreamInfo, StreamTrackInfo, TrackKind } from './protocol.js';
import { TypedEmitter } from './typed-emitter.js';

export interface RemoteStreamEvents {
  [event: string]: unknown;
  /** The stream is gone (stream `remove`); its subscriptions end too. */
  ended: { stream: RemoteStream };
  /** A stream `update`; `field` as sent (audio.status, video.status, activeInput, video.layout, '.'). */
  updated: { stream: RemoteStream; field: string };
  mute: { stream: RemoteStream; kind: TrackKind };
  unmute: { stream: RemoteStream; kind: TrackKind };
}

/** One simulcast layer of a forward stream: subscribe with `video.rid` to get it. */
export interface SimulcastLayerInfo {
  rid: string;
  trackId: string;
  resolution?: Resolution;
}

/**
 * A stream in the room, as the portal describes it (StreamInfo). Forward streams carry their
 * owner (`origin`); mixed streams their view `label`.
 */
export class RemoteStream extends TypedEmitter<RemoteStreamEvents> {
  readonly id: string;
  private current: StreamInfo;

  constructor(info: StreamInfo) {
    super();
    this.id = info.id;
    this.current = info;
  }

  get info(): StreamInfo {
    return this.current;
  }

  get type(): 'forward' | 'mixed' {
    return this.current.type;
  }

  /** The publishing participant's id (forward streams), or 'mcu' for mixed ones. */
  get origin(): string {
    return this.current.info.owner ?? 'mcu';
  }

  get attributes(): Record<string, unknown> {
    return this.current.info.attributes ?? {};
  }

  get tracks(): StreamTrackInfo[] {
    return this.current.media?.tracks ?? [];
  }

  get hasAudio(): boolean {
    return this.tracks.some((t) => t.type === 'audio');
  }

  get hasVideo(): boolean {
    return this.tracks.some((t) => t.type === 'video');
  }

  get source(): { audio?: string; video?: string } {
    return {
      audio: this.tracks.find((t) => t.type === 'audio')?.source,
      video: this.tracks.find((t) => t.type === 'video')?.source,
    };
  }

  /** Video layers with a rid (empty when the stream is not simulcast). */
  get layers(): SimulcastLayerInfo[] {
    return this.tracks
      .filter((t) => t.type === 'video' && typeof t.rid === 'string')
      .map((t) => ({
        rid: t.rid as string,
        trackId: t.id ?? t.rid ?? '',
        resolution: t.parameters?.resolution,
      }));
  }

  /** The track's status as last announced ('inactive' = paused by its publisher). */
  isMuted(kind: TrackKind): boolean {
    const track = this.tracks.find((t) => t.type === kind);
    return track?.status === 'inactive';
  }

  /** @internal Applies a stream `update`. */
  applyUpdate(field: string, value: unknown): void {
    if (field === '.' && typeof value === 'object' && value !== null) {
      this.current = value as StreamInfo;
    } else if (field === 'audio.status' || field === 'video.status') {
      const kind: TrackKind = field === 'audio.status' ? 'audio' : 'video';
      const status = value === 'inactive' ? 'inactive' : 'active';
      for (const track of this.tracks) if (track.type === kind) track.status = status;
      this.emit(status === 'inactive' ? 'mute' : 'unmute', { stream: this, kind });
    } else if (field === 'activeInput' && typeof value === 'string') {
      this.current.info.activeInput = value;
    } else if (field === 'video.layout' && Array.isArray(value)) {
      this.current.info.layout = value;
    }
    this.emit('updated', { stream: this, field });
  }

  /** @internal */
  markEnded(): void {
    this.emit('ended', { stream: this });
  }
}
