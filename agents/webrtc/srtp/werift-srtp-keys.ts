import type { RTCDtlsTransport } from 'werift';
import { MediaSpreadError, type MediaSpreadErrorOptions } from '../../../common/errors.js';
import {
  SRTP_AEAD_AES_128_GCM,
  SRTP_AES128_CM_HMAC_SHA1_80,
  type SrtpProfile,
  type SrtpSessionKeys,
} from './srtp-protector.js';

/** werift's DTLS transport has no SRTP session (not connected) or one we cannot read. */
export class SrtpKeysUnavailableError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAVAILABLE', ...options });
  }
}

/**
 * The sending direction's SRTP session keys werift derived after the DTLS handshake
 * (`dtlsTransport.srtp.localContext`, werift 0.24: srtpSessionKey/Salt/AuthTag + profile).
 * Read once per transport; werift rebuilds the session only on a new handshake.
 */
export function weriftSrtpKeys(dtls: RTCDtlsTransport): SrtpSessionKeys {
  const context: unknown = dtls.srtp?.localContext;
  if (!context || typeof context !== 'object') throw new SrtpKeysUnavailableError('SRTP not started');
  const c = context as Record<string, unknown>;
  const profile = c.profile;
  const key = c.srtpSessionKey;
  const salt = c.srtpSessionSalt;
  const auth = c.srtpSessionAuthTag;
  if (profile !== SRTP_AEAD_AES_128_GCM && profile !== SRTP_AES128_CM_HMAC_SHA1_80) {
    throw new SrtpKeysUnavailableError(`unsupported SRTP profile ${String(profile)}`);
  }
  if (!Buffer.isBuffer(key) || !Buffer.isBuffer(salt)) {
    throw new SrtpKeysUnavailableError('werift SRTP context has no session keys');
  }
  return {
    profile: profile as SrtpProfile,
    encryptionKey: key,
    salt,
    authKey: Buffer.isBuffer(auth) ? auth : undefined,
  };
}
