import type { AudioCodec, MediaKind, VideoCodec } from '../../../common/media/media-frame.js';

/** What a codec depacketizer makes of the payloads of one frame. */
export interface AssembledFrame {
  payload: Uint8Array;
  keyframe: boolean;
  /** 0 when the bitstream does not say. */
  width: number;
  height: number;
}

/**
 * Codec-specific half of the receive path. The frame assembler finds frame boundaries and
 * losses; the depacketizer only reads payload descriptors. Methods throw RtpParseError on
 * malformed payloads, which the assembler treats like a loss.
 */
export interface Depacketizer {
  readonly kind: MediaKind;
  readonly codec: VideoCodec | AudioCodec;
  /** Every packet is a whole frame (audio). */
  readonly singlePacketFrames: boolean;
  /** A loss breaks the decoder's references: drop frames until the next keyframe. */
  readonly needsKeyframeAfterLoss: boolean;
  /** Whether this payload is the first packet of a frame. */
  isFrameStart(payload: Uint8Array): boolean;
  /** Builds one frame from its packets' payloads (in sequence order); null when they do not form one. */
  assemble(payloads: readonly Uint8Array[]): AssembledFrame | null;
}

/** Concatenates byte arrays (one allocation). */
export function concatBytes(parts: readonly Uint8Array[], totalHint = -1): Uint8Array {
  let total = totalHint;
  if (total < 0) {
    total = 0;
    for (const p of parts) total += p.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
