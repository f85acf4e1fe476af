import type { PixelRect } from '../../../agents/video/layout/index.js';
import type { MediaSink, MediaSource } from '../../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../../common/media/media-feedback.js';
import type { MediaFrame, VideoFrame } from '../../../common/media/media-frame.js';
import {
  type DecodedPicture,
  type EncodableVideoCodec,
  type I420Image,
  i420Planes,
  solidI420,
  VideoDecoder,
  VideoEncoder,
} from '../../../native/index.js';

export type Yuv = readonly [number, number, number];

/** Real encoded frames of a solid-colour picture: a keyframe first, then deltas, 30 fps timestamps. */
export async function solidFrames(
  width: number,
  height: number,
  yuv: Yuv,
  count: number,
  codec: EncodableVideoCodec = 'vp8',
): Promise<VideoFrame[]> {
  const encoder = new VideoEncoder({ codec, width, height, bitrate: 300_000, framerate: 30 });
  const picture = solidI420(width, height, yuv);
  const frames: VideoFrame[] = [];
  try {
    for (let i = 0; i < count; i++)
      frames.push(...(await encoder.encode(picture, i * 3000, { keyframe: i === 0 })));
  } finally {
    await encoder.close();
  }
  return frames;
}

/**
 * A published test stream: frames are pushed by the test, and a keyframe request is answered
 * with the stream's keyframe (as a publisher answers a PLI) unless `answerKeyframeRequests` is off.
 */
export class ScriptedSource implements MediaSource {
  readonly type = 'scripted';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private timestamp = 0;
  private timer: NodeJS.Timeout | undefined;
  keyframeRequests = 0;
  answerKeyframeRequests = true;

  constructor(private readonly frames: readonly VideoFrame[]) {}

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
  }

  onFeedback(feedback: MediaFeedback): void {
    if (feedback.type !== 'keyframe-request') return;
    this.keyframeRequests++;
    if (this.answerKeyframeRequests) setImmediate(() => this.push(this.frames[0]!));
  }

  /** Delivers a frame now, with the next timestamp of this stream. */
  push(frame: VideoFrame): void {
    this.timestamp += 3000;
    this.deliver?.({ ...frame, timestamp: this.timestamp });
  }

  /** Plays the frames in a loop at `fps` until stop(). */
  play(fps: number): void {
    let i = 1;
    this.timer = setInterval(() => {
      this.push(this.frames[i % this.frames.length]!);
      i++;
    }, 1000 / fps);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stop();
    this.deliver = undefined;
  }
}

/** A subscription that keeps the frames it receives and exposes its feedback path. */
export class CaptureSink implements MediaSink {
  readonly type = 'capture';
  readonly frames: VideoFrame[] = [];
  feedback: ((feedback: MediaFeedback) => void) | undefined;

  onLinkup(_streamId: string, feedback: (feedback: MediaFeedback) => void): void {
    this.feedback = feedback;
  }
  onCutoff(): void {
    this.feedback = undefined;
  }
  onFrame(frame: MediaFrame): void {
    if (frame.kind === 'video') this.frames.push(frame);
  }
  close(): void {}
}

/** Decodes frames in order (from the first keyframe) and returns the last picture. */
export async function lastPicture(frames: readonly VideoFrame[]): Promise<DecodedPicture> {
  const start = frames.findIndex((f) => f.keyframe);
  if (start < 0) throw new Error('no keyframe among the frames');
  const decoder = new VideoDecoder(frames[start]!.codec);
  let last: DecodedPicture | undefined;
  try {
    for (const frame of frames.slice(start)) {
      const pictures = await decoder.decode(frame);
      last = pictures[pictures.length - 1] ?? last;
    }
    last = (await decoder.flush()).pop() ?? last;
  } finally {
    await decoder.close();
  }
  if (!last) throw new Error('no picture decoded');
  return last;
}

/** Mean Y, U, V of the middle half of a rectangle (edges blur through the codec). */
export function meanYuv(picture: I420Image, rect: PixelRect): [number, number, number] {
  const p = i420Planes(picture);
  const x0 = rect.x + Math.floor(rect.width / 4);
  const y0 = rect.y + Math.floor(rect.height / 4);
  const x1 = rect.x + Math.ceil((rect.width * 3) / 4);
  const y1 = rect.y + Math.ceil((rect.height * 3) / 4);
  let y = 0;
  let u = 0;
  let v = 0;
  let n = 0;
  let nc = 0;
  for (let row = y0; row < y1; row++) {
    for (let col = x0; col < x1; col++) {
      y += p.y[row * p.strideY + col]!;
      n++;
      if (row % 2 === 0 && col % 2 === 0) {
        u += p.u[(row >> 1) * p.strideUV + (col >> 1)]!;
        v += p.v[(row >> 1) * p.strideUV + (col >> 1)]!;
        nc++;
      }
    }
  }
  return [y / n, u / nc, v / nc];
}

/** Whether two colours are within `tolerance` on every component. */
export function near(a: Yuv, b: Yuv, tolerance = 8): boolean {
  return a.every((c, i) => Math.abs(c - b[i]!) <= tolerance);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
