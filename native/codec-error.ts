import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../common/errors.js';

/** A codec, scaler or resampler call failed (corrupt input, bad parameters, closed instance). */
export class CodecError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'CODEC_ERROR', ...options });
  }
}

/** The compiled addon is absent (not built on this machine). */
export class NativeAddonMissingError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NATIVE_ADDON_MISSING', ...options });
  }
}

registerErrorClass(CodecError);
registerErrorClass(NativeAddonMissingError);

/** Runs a native call (sync throw or rejected Promise) and turns its failure into a CodecError. */
export async function asCodecError<T>(what: string, call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof MediaSpreadError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new CodecError(`${what}: ${message}`, { cause: err });
  }
}

/** Constructs a native object, turning its failure into a CodecError. */
export function constructNative<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof MediaSpreadError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new CodecError(`${what}: ${message}`, { cause: err });
  }
}
