/** MediaSpread's media addon over FFmpeg's libraries: typed, Promise-based, off the event loop. */
export {
  AudioDecoder,
  type AudioDecoderOptions,
  type DecodableAudioCodec,
  type PcmChunk,
} from './audio-decoder.js';
export { AudioEncoder, type AudioEncoderOptions, type EncodableAudioCodec } from './audio-encoder.js';
export { CodecError, NativeAddonMissingError } from './codec-error.js';
export { type CanvasSpec, Compositor, type CompositorLayer, type PixelRect } from './compositor.js';
export { type I420Image, type I420Planes, i420Planes, i420Size, psnrI420, solidI420 } from './i420.js';
export { nativeCapabilities } from './native-capabilities.js';
export { Resampler, type ResamplerOptions } from './resampler.js';
export { Scaler } from './scaler.js';
export { type DecodedPicture, VideoDecoder } from './video-decoder.js';
export { type EncodableVideoCodec, VideoEncoder, type VideoEncoderOptions } from './video-encoder.js';
