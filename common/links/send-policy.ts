import type { MediaFrame } from '../media/media-frame.js';

/**
 * Slow-consumer policy: what to do with one outgoing frame given how far behind the link is.
 * Memory stays bounded by the hard limits; below them, video degrades first (non-key frames
 * dropped until the next keyframe) while audio, small and latency-critical, keeps flowing.
 */
export interface SendLimits {
  /** Hard limits: nothing is queued beyond them, not even audio or keyframes. */
  maxQueueBytes: number;
  maxQueueFrames: number;
  /** Soft limits: above them the link is "behind" and non-key video frames are dropped. */
  dropThresholdBytes: number;
  dropThresholdFrames: number;
}

export type SendDecision =
  /** Queue (or write) the frame. */
  | 'send'
  /** Drop it; the stream already waits for a keyframe, or it is audio on a full queue. */
  | 'drop'
  /** Drop it and ask the stream's producer for a keyframe: its decoding chain is now broken. */
  | 'drop-need-keyframe';

export interface StreamSendState {
  /** Non-key video frames are dropped until a keyframe goes through. */
  awaitingKeyframe: boolean;
}

export function decideSend(
  frame: MediaFrame,
  frameBytes: number,
  stream: StreamSendState,
  queued: { bytes: number; frames: number },
  limits: SendLimits,
): SendDecision {
  const isVideo = frame.kind === 'video';
  if (queued.bytes + frameBytes > limits.maxQueueBytes || queued.frames + 1 > limits.maxQueueFrames) {
    return isVideo ? 'drop-need-keyframe' : 'drop';
  }
  if (isVideo && !frame.keyframe) {
    if (stream.awaitingKeyframe) return 'drop';
    if (queued.bytes >= limits.dropThresholdBytes || queued.frames >= limits.dropThresholdFrames) {
      return 'drop-need-keyframe';
    }
  }
  return 'send';
}
