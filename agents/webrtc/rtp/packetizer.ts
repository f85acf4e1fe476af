import { PacketizeError } from './rtp-errors.js';

/** Codec-specific half of the send path: one encoded frame → RTP payloads. */
export interface Packetizer {
  /**
   * Splits one frame into payloads of at most maxPayloadSize bytes each (descriptor
   * included). The caller sets the marker bit on the last one.
   */
  packetize(frame: Uint8Array, maxPayloadSize: number): Uint8Array[];
}

/** Sizes of `count` near-equal chunks covering `total` bytes (balanced packets pace better). */
export function balancedChunks(total: number, maxChunk: number): number[] {
  if (maxChunk < 1) throw new PacketizeError('max payload size leaves no room for data');
  const count = Math.max(1, Math.ceil(total / maxChunk));
  const base = Math.floor(total / count);
  let extra = total - base * count;
  const sizes: number[] = new Array(count);
  for (let i = 0; i < count; i++) sizes[i] = base + (extra-- > 0 ? 1 : 0);
  return sizes;
}
