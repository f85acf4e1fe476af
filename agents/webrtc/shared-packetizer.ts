import type { MediaFrame } from '../../common/media/media-frame.js';
import { createPacketizer, isRtpCodec } from './rtp/codecs.js';
import type { Packetizer } from './rtp/packetizer.js';

/** Largest RTP payload: leaves room for the header, extensions and SRTP. */
export const MAX_RTP_PAYLOAD = 1200;

/**
 * Packetizes each frame once for all subscriptions of a node (issue §7: per-packet work once
 * per incoming packet, per subscriber only the header and SRTP). The router hands the same frame
 * object to every sink, so the result is cached on it. Payload descriptors (VP8/VP9 picture ids)
 * then count per source stream, which a viewer accepts: ids only jump at keyframes (linkup).
 */
export class SharedPacketizer {
  private readonly packetizers = new Map<string, Packetizer>();
  private readonly cache = new WeakMap<MediaFrame, Map<string, Uint8Array[]>>();

  /** The frame's RTP payloads for this stream and H264 mode (undefined: codec not packetizable). */
  payloads(streamId: string, frame: MediaFrame, packetizationMode: 0 | 1 = 1): Uint8Array[] | undefined {
    if (!isRtpCodec(frame.codec)) return undefined;
    const key = `${streamId}\u0000${frame.kind}\u0000${frame.codec}\u0000${packetizationMode}`;
    let byKey = this.cache.get(frame);
    const cached = byKey?.get(key);
    if (cached) return cached;
    let packetizer = this.packetizers.get(key);
    if (!packetizer) {
      packetizer = createPacketizer(frame.codec, { packetizationMode });
      this.packetizers.set(key, packetizer);
    }
    const payloads = packetizer.packetize(frame.payload, MAX_RTP_PAYLOAD);
    if (!byKey) {
      byKey = new Map();
      this.cache.set(frame, byKey);
    }
    byKey.set(key, payloads);
    return payloads;
  }

  /** Drops the packetizers of streams that are gone (called from a timer). */
  retain(isLive: (streamId: string) => boolean): void {
    for (const key of this.packetizers.keys()) {
      if (!isLive(key.slice(0, key.indexOf('\u0000')))) this.packetizers.delete(key);
    }
  }
}
