import { statfs } from 'node:fs/promises';
import { clampLoad, type LoadMeter } from './load-meter.js';

/** Recording agents: the used fraction of the file system that holds the recordings. */
export class DiskLoadMeter implements LoadMeter {
  readonly kind = 'disk';

  constructor(private readonly path: string) {}

  async sample(): Promise<number> {
    const s = await statfs(this.path);
    if (s.blocks === 0) return 1;
    return clampLoad(1 - s.bavail / s.blocks);
  }
}
