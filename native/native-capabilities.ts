import { nativeAddon, nativeAddonAvailable } from './native-addon.js';

export interface NativeCapabilities {
  available: boolean;
  /** Codec names (MediaFrame spelling) this machine's FFmpeg can decode / encode. */
  decoders: string[];
  encoders: string[];
  libavcodec?: string;
}

/** What the addon can do here; video agents advertise the encoders as their codec capability. */
export function nativeCapabilities(): NativeCapabilities {
  if (!nativeAddonAvailable()) return { available: false, decoders: [], encoders: [] };
  const caps = nativeAddon().capabilities();
  const names = (m: Record<string, boolean>) =>
    Object.entries(m)
      .filter(([, ok]) => ok)
      .map(([k]) => k);
  return {
    available: true,
    decoders: names(caps.decoders),
    encoders: names(caps.encoders),
    libavcodec: caps.libavcodec,
  };
}
