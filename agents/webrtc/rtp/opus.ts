import type { AssembledFrame, Depacketizer } from './depacketizer.js';
import type { Packetizer } from './packetizer.js';
import { PacketizeError, RtpParseError } from './rtp-errors.js';

/** Opus over RTP (RFC 7587): one packet carries one whole Opus packet. */

export class OpusDepacketizer implements Depacketizer {
  readonly kind = 'audio';
  readonly codec = 'opus';
  readonly singlePacketFrames = true;
  readonly needsKeyframeAfterLoss = false;

  isFrameStart(): boolean {
    return true;
  }

  assemble(payloads: readonly Uint8Array[]): AssembledFrame | null {
    if (payloads.length !== 1) return null;
    const p = payloads[0]!;
    if (p.length === 0) throw new RtpParseError('Opus empty payload');
    return { payload: p.slice(), keyframe: true, width: 0, height: 0 };
  }
}

export class OpusPacketizer implements Packetizer {
  packetize(frame: Uint8Array, maxPayloadSize: number): Uint8Array[] {
    if (frame.length === 0) throw new PacketizeError('Opus frame is empty');
    if (frame.length > maxPayloadSize) {
      throw new PacketizeError(`Opus frame of ${frame.length} bytes exceeds ${maxPayloadSize}`);
    }
    return [frame];
  }
}
