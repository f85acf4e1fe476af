import { readFile } from 'node:fs/promises';
import { clampLoad, type LoadMeter } from './load-meter.js';

export interface NetworkLoadOptions {
  /** Link capacity the load is measured against, in megabits per second. */
  bandwidthMbps: number;
  /** Interfaces to count; empty = every interface except loopback. */
  interfaces: string[];
  /** Test seam: reads /proc/net/dev by default. */
  readStats?: () => Promise<string>;
  now?: () => number;
}

/** Parses /proc/net/dev into interface → received + transmitted bytes. */
export function parseNetDev(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    const rx = fields[0];
    const tx = fields[8];
    if (rx === undefined || tx === undefined || Number.isNaN(rx) || Number.isNaN(tx)) continue;
    out.set(name, rx + tx);
  }
  return out;
}

/** Access agents: the busier direction of traffic against the configured bandwidth. */
export class NetworkLoadMeter implements LoadMeter {
  readonly kind = 'network';
  private lastBytes: number | undefined;
  private lastAt = 0;
  private readonly readStats: () => Promise<string>;
  private readonly now: () => number;

  constructor(private readonly options: NetworkLoadOptions) {
    this.readStats = options.readStats ?? (() => readFile('/proc/net/dev', 'utf8'));
    this.now = options.now ?? Date.now;
  }

  async sample(): Promise<number> {
    const stats = parseNetDev(await this.readStats());
    let bytes = 0;
    for (const [name, count] of stats) {
      const wanted =
        this.options.interfaces.length === 0 ? name !== 'lo' : this.options.interfaces.includes(name);
      if (wanted) bytes += count;
    }
    const at = this.now();
    const previous = this.lastBytes;
    const elapsedMs = at - this.lastAt;
    this.lastBytes = bytes;
    this.lastAt = at;
    if (previous === undefined || elapsedMs <= 0) return 0;
    const mbps = ((bytes - previous) * 8) / 1e6 / (elapsedMs / 1000);
    return clampLoad(mbps / this.options.bandwidthMbps);
  }
}
