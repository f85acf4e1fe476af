/**
 * What a consumer of a stream asks of its producer. It travels the opposite way of frames:
 * sink → router → source, and across internal links on the same connection as the frames.
 */
export type MediaFeedback = { type: 'keyframe-request' } | { type: 'target-bitrate'; bps: number };

export const KEYFRAME_REQUEST: MediaFeedback = Object.freeze({ type: 'keyframe-request' });
