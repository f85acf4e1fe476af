import type { MediaKind } from '../../common/media/media-frame.js';

/** Backwards steps up to this are reordering (B-frames), not a new timeline. */
const MAX_BACKWARDS_MS = 1000;
/** Forward gaps beyond this are a discontinuity (source switch, reconnect), not silence. */
const MAX_FORWARD_GAP_MS = 10_000;

interface Anchor {
  inTs: number;
  clockRate: number;
  outMs: number;
}

/**
 * Maps each kind's frame timestamps onto one millisecond timeline that starts at 0.
 * Audio and video timestamps come from unrelated clocks (RTP bases are random), so each kind
 * is anchored at the arrival time of its first frame and then follows its own timestamps:
 * A/V sync equals arrival sync. After `reset()` (a new source) or a discontinuity, a kind is
 * re-anchored at arrival time, never before what was already written.
 */
export class FrameTimeline {
  private readonly origin: number;
  private readonly anchors = new Map<MediaKind, Anchor>();
  private readonly last = new Map<MediaKind, number>();
  reanchors = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.origin = now();
  }

  reset(): void {
    this.anchors.clear();
  }

  toMs(kind: MediaKind, timestamp: number, clockRate: number): number {
    const last = this.last.get(kind);
    let anchor = this.anchors.get(kind);
    let ms = anchor ? anchor.outMs + ((timestamp - anchor.inTs) * 1000) / anchor.clockRate : Number.NaN;
    const jumped =
      anchor !== undefined &&
      last !== undefined &&
      (anchor.clockRate !== clockRate || ms < last - MAX_BACKWARDS_MS || ms > last + MAX_FORWARD_GAP_MS);
    if (!anchor || jumped) {
      if (jumped) this.reanchors++;
      const arrival = this.now() - this.origin;
      anchor = {
        inTs: timestamp,
        clockRate,
        outMs: last === undefined ? arrival : Math.max(arrival, last + 1),
      };
      this.anchors.set(kind, anchor);
      ms = anchor.outMs;
    }
    if (last === undefined || ms > last) this.last.set(kind, ms);
    return ms;
  }
}
