/**
 * Loads the compiled addon (native/build/Release/mediaspread_native.node) and describes its raw
 * surface. The typed classes in this folder wrap it; nothing else should import this file.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { NativeAddonMissingError } from './codec-error.js';

export interface RawPicture {
  width: number;
  height: number;
  pts: number;
  data: Buffer;
}
export interface RawPacket {
  pts: number;
  keyframe: boolean;
  data: Buffer;
}
export interface RawAudioPacket {
  pts: number;
  samples: number;
  data: Buffer;
}
export interface RawPcm {
  sampleRate: number;
  channels: number;
  pts: number | null;
  samples: Int16Array;
}
export interface RawRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface RawLayer {
  data: Uint8Array;
  width: number;
  height: number;
  crop: RawRect;
  dest: RawRect;
}
export interface RawCapabilities {
  decoders: Record<string, boolean>;
  encoders: Record<string, boolean>;
  libavcodec: string;
}

interface RawVideoDecoder {
  decode(payload: Uint8Array, pts: number): Promise<RawPicture[]>;
  flush(): Promise<RawPicture[]>;
  close(): void;
}
interface RawVideoEncoder {
  encode(picture: Uint8Array, pts: number, keyframe: boolean): Promise<RawPacket[]>;
  setBitrate(bps: number): void;
  close(): void;
}
interface RawScaler {
  scale(picture: Uint8Array, sw: number, sh: number, dw: number, dh: number): Promise<Buffer>;
  close(): void;
}
interface RawCompositor {
  compose(
    canvas: { width: number; height: number; background: [number, number, number] },
    layers: RawLayer[],
  ): Promise<Buffer>;
  close(): void;
}
interface RawAudioDecoder {
  decode(payload: Uint8Array, pts?: number): Promise<RawPcm>;
  close(): void;
}
interface RawAudioEncoder {
  encode(samples: Int16Array): Promise<RawAudioPacket[]>;
  info(): { frameSize: number; sampleRate: number; channels: number; delay: number; extradata: Buffer };
  close(): void;
}
interface RawResampler {
  convert(samples: Int16Array): Promise<Int16Array>;
  close(): void;
}

export interface NativeAddon {
  capabilities(): RawCapabilities;
  VideoDecoder: new (codec: string) => RawVideoDecoder;
  VideoEncoder: new (options: {
    codec: string;
    width: number;
    height: number;
    bitrate: number;
    framerate: number;
    keyframeInterval: number;
    cpuUsed?: number;
  }) => RawVideoEncoder;
  Scaler: new () => RawScaler;
  Compositor: new () => RawCompositor;
  AudioDecoder: new (options: {
    codec: string;
    sampleRate: number;
    channels: number;
    extradata?: Uint8Array;
  }) => RawAudioDecoder;
  AudioEncoder: new (options: {
    codec: string;
    sampleRate: number;
    channels: number;
    bitrate?: number;
  }) => RawAudioEncoder;
  Resampler: new (options: {
    inRate: number;
    inChannels: number;
    outRate: number;
    outChannels: number;
  }) => RawResampler;
}

// From dist/native/ or native/ (tests run the compiled JS), the build folder is native/build.
const CANDIDATES = [
  new URL('../../native/build/Release/mediaspread_native.node', import.meta.url),
  new URL('./build/Release/mediaspread_native.node', import.meta.url),
];

let addon: NativeAddon | undefined;

/** The addon, loaded on first use so that importing this package never fails by itself. */
export function nativeAddon(): NativeAddon {
  if (addon) return addon;
  const file = CANDIDATES.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!file) {
    throw new NativeAddonMissingError(
      'native addon not built: run `cd native && npx --no-install node-gyp rebuild` (or scripts/setup.sh)',
    );
  }
  addon = createRequire(import.meta.url)(file) as NativeAddon;
  return addon;
}

/** Whether the addon is built here (tests and capability reports use it). */
export function nativeAddonAvailable(): boolean {
  try {
    nativeAddon();
    return true;
  } catch {
    return false;
  }
}
