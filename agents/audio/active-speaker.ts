/**
 * Active speaker detection over per-input levels (dBov, one update per mixer tick). An input
 * *speaks* when its smoothed level has stayed above `thresholdDbov` for `sustainMs` (pauses
 * shorter than `hangoverMs` do not interrupt it). The loudest speaking input takes the floor;
 * whoever has it keeps it for at least `holdMs`, and after that loses it only to an input that
 * has been louder by `marginDb` (or to anyone speaking when the holder has stopped) for
 * `challengeMs`. Nobody speaking changes nothing: the last speaker stays (as OWT does).
 */
export interface ActiveSpeakerOptions {
  tickMs: number;
  thresholdDbov: number;
  sustainMs: number;
  hangoverMs: number;
  holdMs: number;
  marginDb: number;
  challengeMs: number;
}

export const DEFAULT_ACTIVE_SPEAKER: Omit<ActiveSpeakerOptions, 'tickMs'> = {
  thresholdDbov: -40,
  sustainMs: 300,
  hangoverMs: 300,
  holdMs: 1000,
  marginDb: 6,
  challengeMs: 200,
};

interface Voice {
  level: number;
  /** Time spent speaking, pauses up to the hangover included. */
  speechMs: number;
  /** Time below the threshold since it last spoke. */
  quietMs: number;
}

export class ActiveSpeakerDetector {
  private readonly voices = new Map<string, Voice>();
  private current: string | undefined;
  private heldMs = 0;
  private challenger: string | undefined;
  private challengedMs = 0;

  constructor(private readonly options: ActiveSpeakerOptions) {}

  get activeSpeaker(): string | undefined {
    return this.current;
  }

  remove(id: string): void {
    this.voices.delete(id);
    if (this.current === id) this.current = undefined;
    if (this.challenger === id) this.challenger = undefined;
  }

  /**
   * One tick: every input's smoothed level. Inputs missing from `levels` are left out of the
   * contest this tick. Returns the new active speaker when it changed.
   */
  update(levels: ReadonlyMap<string, number>): string | undefined {
    const { tickMs, thresholdDbov, sustainMs, hangoverMs } = this.options;
    let loudest: string | undefined;
    let loudestLevel = Number.NEGATIVE_INFINITY;
    for (const [id, level] of levels) {
      let voice = this.voices.get(id);
      if (!voice) {
        voice = { level, speechMs: 0, quietMs: 0 };
        this.voices.set(id, voice);
      }
      voice.level = level;
      if (level > thresholdDbov) {
        voice.quietMs = 0;
        voice.speechMs += tickMs;
      } else {
        voice.quietMs += tickMs;
        if (voice.quietMs > hangoverMs) voice.speechMs = 0;
      }
      if (voice.speechMs >= sustainMs && level > loudestLevel) {
        loudest = id;
        loudestLevel = level;
      }
    }
    this.heldMs += tickMs;
    return this.decide(loudest);
  }

  private decide(loudest: string | undefined): string | undefined {
    if (loudest === undefined || loudest === this.current) {
      this.challenger = undefined;
      return undefined;
    }
    const holder = this.current === undefined ? undefined : this.voices.get(this.current);
    if (!holder) return this.take(loudest);
    if (this.heldMs < this.options.holdMs) return undefined;
    const holderSpeaks = holder.speechMs >= this.options.sustainMs;
    const louder = this.voices.get(loudest)!.level >= holder.level + this.options.marginDb;
    if (holderSpeaks && !louder) {
      this.challenger = undefined;
      return undefined;
    }
    if (this.challenger !== loudest) {
      this.challenger = loudest;
      this.challengedMs = 0;
    }
    this.challengedMs += this.options.tickMs;
    return this.challengedMs >= this.options.challengeMs ? this.take(loudest) : undefined;
  }

  private take(id: string): string {
    this.current = id;
    this.heldMs = 0;
    this.challenger = undefined;
    return id;
  }
}
