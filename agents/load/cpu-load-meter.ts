import { cpus } from 'node:os';
import { clampLoad, type LoadMeter } from './load-meter.js';

interface CpuTimes {
  busy: number;
  total: number;
}

function readCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    busy += all - t.idle;
    total += all;
  }
  return { busy, total };
}

/** Machine-wide CPU use between two samples: processing agents share the machine with others. */
export class CpuLoadMeter implements LoadMeter {
  readonly kind = 'cpu';
  private last = readCpuTimes();

  async sample(): Promise<number> {
    const now = readCpuTimes();
    const total = now.total - this.last.total;
    const busy = now.busy - this.last.busy;
    this.last = now;
    return total > 0 ? clampLoad(busy / total) : 0;
  }
}
