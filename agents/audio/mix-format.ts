/**
 * The format every mixer works in: inputs are decoded (and resampled) to it, outputs are
 * encoded (after resampling) from it. 48 kHz stereo is what browsers send with Opus.
 */
export const MIX_SAMPLE_RATE = 48_000;
export const MIX_CHANNELS = 2;

/** One mixer clock tick: as long as one Opus frame, so each tick feeds each encoder one frame. */
export const TICK_MS = 20;

/** Sample frames (per channel) in one tick. */
export const TICK_FRAMES = (MIX_SAMPLE_RATE * TICK_MS) / 1000;

/** Interleaved s16 values in one tick. */
export const TICK_SAMPLES = TICK_FRAMES * MIX_CHANNELS;

/** Interleaved s16 values in `ms` milliseconds of mix-format audio. */
export function mixSamplesFor(ms: number): number {
  return Math.round((MIX_SAMPLE_RATE * ms) / 1000) * MIX_CHANNELS;
}
