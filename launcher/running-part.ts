/** A part started by the launcher: what it serves and how to stop it. */
export interface RunningPart {
  name: string;
  /** Addresses people can open (printed at start). */
  urls?: Record<string, string>;
  stop(): Promise<void>;
}
