import type { VideoCodec, VideoFrame } from '../common/media/media-frame.js';
import { asCodecError, constructNative } from './codec-error.js';
import type { I420Image } from './i420.js';
import { nativeAddon } from './native-addon.js';
import { SerialQueue } from './serial-queue.js';

/** A decoded picture with the timestamp of the frame it came from. */
export interface DecodedPicture extends I420Image {
  timestamp: number;
}

/**
 * Decodes VP8/VP9/H264/AV1 frames to I420 off the event loop, one call at a time in order.
 * Corrupt input rejects with CodecError (or yields no picture); it never crashes the process.
 */
export class VideoDecoder {
  readonly codec: VideoCodec;
  private readonly raw;
  private readonly queue = new SerialQueue();

  constructor(codec: VideoCodec) {
    this.codec = codec;
    this.raw = constructNative(`${codec} decoder`, () => new (nativeAddon().VideoDecoder)(codec));
  }

  /** Decodes one whole frame; returns the pictures it completed (usually one, maybe none). */
  decode(frame: Pick<VideoFrame, 'payload' | 'timestamp'>): Promise<DecodedPicture[]> {
    return this.queue.run(() =>
      asCodecError(`${this.codec} decode`, async () => {
        const pictures = await this.raw.decode(frame.payload, frame.timestamp);
        return pictures.map((p) => ({ width: p.width, height: p.height, data: p.data, timestamp: p.pts }));
      }),
    );
  }

  /** Drains pictures still inside the decoder and resets it (e.g. before a stream switch). */
  flush(): Promise<DecodedPicture[]> {
    return this.queue.run(() =>
      asCodecError(`${this.codec} flush`, async () => {
        const pictures = await this.raw.flush();
        return pictures.map((p) => ({ width: p.width, height: p.height, data: p.data, timestamp: p.pts }));
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.raw.close();
  }
}
