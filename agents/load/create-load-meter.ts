import type { Purpose } from '../../cluster-manager/protocol.js';
import { CpuLoadMeter } from './cpu-load-meter.js';
import { DiskLoadMeter } from './disk-load-meter.js';
import type { LoadMeter } from './load-meter.js';
import { NetworkLoadMeter } from './network-load-meter.js';

export interface LoadMeterConfig {
  networkBandwidthMbps: number;
  networkInterfaces: string[];
  diskPath: string;
}

/** Access purposes report network, processing purposes CPU, recording free disk. */
export function loadKindFor(purpose: Purpose): LoadMeter['kind'] {
  switch (purpose) {
    case 'webrtc':
    case 'streaming':
    case 'quic':
    case 'sip':
      return 'network';
    case 'recording':
      return 'disk';
    default:
      return 'cpu';
  }
}

export function createLoadMeter(purpose: Purpose, config: LoadMeterConfig): LoadMeter {
  switch (loadKindFor(purpose)) {
    case 'network':
      return new NetworkLoadMeter({
        bandwidthMbps: config.networkBandwidthMbps,
        interfaces: config.networkInterfaces,
      });
    case 'disk':
      return new DiskLoadMeter(config.diskPath);
    default:
      return new CpuLoadMeter();
  }
}
