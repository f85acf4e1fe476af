/** The level of digital silence: RFC 6464's floor (−127 dBov). */
export const SILENCE_DBOV = -127;

/**
 * RMS level of interleaved s16 audio in dBov (0 = a full-scale square wave, a full-scale sine
 * is −3), clamped to RFC 6464's range −127..0. `length` limits how much of `samples` counts.
 */
export function rmsDbov(samples: Int16Array, length = samples.length): number {
  if (length <= 0) return SILENCE_DBOV;
  let energy = 0;
  for (let i = 0; i < length; i++) {
    const v = samples[i]!;
    energy += v * v;
  }
  if (energy === 0) return SILENCE_DBOV;
  const db = 10 * Math.log10(energy / length / (32768 * 32768));
  return Math.max(SILENCE_DBOV, Math.min(0, db));
}

export interface LevelSmoothingOptions {
  /** Time constant when the level rises: short, so speech onsets show at once. */
  attackMs: number;
  /** Time constant when it falls: longer, so the gaps between syllables do not. */
  releaseMs: number;
  tickMs: number;
}

export const DEFAULT_LEVEL_SMOOTHING: Omit<LevelSmoothingOptions, 'tickMs'> = {
  attackMs: 40,
  releaseMs: 250,
};

/** An input's level over time: one raw dBov value per tick in, a smoothed dBov value out. */
export class SmoothedLevel {
  private value = SILENCE_DBOV;
  private readonly attack: number;
  private readonly release: number;

  constructor(options: LevelSmoothingOptions) {
    this.attack = 1 - Math.exp(-options.tickMs / options.attackMs);
    this.release = 1 - Math.exp(-options.tickMs / options.releaseMs);
  }

  get level(): number {
    return this.value;
  }

  update(dbov: number): number {
    const alpha = dbov > this.value ? this.attack : this.release;
    this.value += alpha * (dbov - this.value);
    return this.value;
  }
}
