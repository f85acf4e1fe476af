import { createCipheriv, createHmac } from 'node:crypto';

/** SRTP protection profiles DTLS-SRTP can negotiate (RFC 5764 / RFC 7714 ids). */
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AEAD_AES_128_GCM = 0x0007;

export type SrtpProfile = typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AEAD_AES_128_GCM;

/** Session keys after the SRTP key derivation (RFC 3711 §4.3), for the sending direction. */
export interface SrtpSessionKeys {
  profile: SrtpProfile;
  /** 16 bytes. */
  encryptionKey: Buffer;
  /** 14 bytes (AES-CM) or at least 12 bytes (GCM: the first 12 are used). */
  salt: Buffer;
  /** 20 bytes, AES-CM + HMAC-SHA1 only. */
  authKey?: Buffer;
}

/** The protected packet as the three parts handed to one gather send: header, ciphertext, tag. */
export interface ProtectedParts {
  encrypted: Buffer;
  tag: Buffer;
}

/**
 * Protects outgoing RTP packets of any SSRC with one session's keys. The caller owns the packet
 * index: it passes the rollover counter (ROC) of the packet, since it numbered the packet itself
 * (RFC 3711 §3.3.1: index = ROC · 2^16 + SEQ). Per packet node:crypto needs a new cipher (and
 * HMAC) context; the IV/counter block is reused (createCipheriv copies it).
 */
export interface SrtpProtector {
  readonly profile: SrtpProfile;
  /** Bytes the tag adds. */
  readonly tagLength: number;
  protect(
    header: Buffer,
    payload: Uint8Array,
    ssrc: number,
    sequenceNumber: number,
    roc: number,
  ): ProtectedParts;
}

export function createSrtpProtector(keys: SrtpSessionKeys): SrtpProtector {
  return keys.profile === SRTP_AEAD_AES_128_GCM ? new AesGcmProtector(keys) : new AesCmHmacProtector(keys);
}

/** AEAD_AES_128_GCM (RFC 7714): IV = (00 00 ‖ SSRC ‖ ROC ‖ SEQ) XOR salt, AAD = the RTP header. */
class AesGcmProtector implements SrtpProtector {
  readonly profile = SRTP_AEAD_AES_128_GCM;
  readonly tagLength = 16;
  private readonly key: Buffer;
  private readonly salt: Buffer;
  private readonly iv = Buffer.alloc(12);

  constructor(keys: SrtpSessionKeys) {
    if (keys.encryptionKey.length !== 16 || keys.salt.length < 12) throw new RangeError('bad AES-GCM keys');
    this.key = keys.encryptionKey;
    this.salt = keys.salt;
  }

  protect(
    header: Buffer,
    payload: Uint8Array,
    ssrc: number,
    sequenceNumber: number,
    roc: number,
  ): ProtectedParts {
    const iv = this.iv;
    const s = this.salt;
    iv[0] = s[0]!;
    iv[1] = s[1]!;
    iv[2] = ((ssrc >>> 24) & 0xff) ^ s[2]!;
    iv[3] = ((ssrc >>> 16) & 0xff) ^ s[3]!;
    iv[4] = ((ssrc >>> 8) & 0xff) ^ s[4]!;
    iv[5] = (ssrc & 0xff) ^ s[5]!;
    iv[6] = ((roc >>> 24) & 0xff) ^ s[6]!;
    iv[7] = ((roc >>> 16) & 0xff) ^ s[7]!;
    iv[8] = ((roc >>> 8) & 0xff) ^ s[8]!;
    iv[9] = (roc & 0xff) ^ s[9]!;
    iv[10] = ((sequenceNumber >>> 8) & 0xff) ^ s[10]!;
    iv[11] = (sequenceNumber & 0xff) ^ s[11]!;
    const cipher = createCipheriv('aes-128-gcm', this.key, iv);
    cipher.setAAD(header);
    const encrypted = cipher.update(payload);
    cipher.final();
    return { encrypted, tag: cipher.getAuthTag() };
  }
}

/**
 * AES_CM_128_HMAC_SHA1_80 (RFC 3711): counter = (salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16);
 * tag = HMAC-SHA1(auth key, header ‖ ciphertext ‖ ROC), first 10 bytes.
 */
class AesCmHmacProtector implements SrtpProtector {
  readonly profile = SRTP_AES128_CM_HMAC_SHA1_80;
  readonly tagLength = 10;
  private readonly key: Buffer;
  private readonly salt: Buffer;
  private readonly authKey: Buffer;
  private readonly counter = Buffer.alloc(16);
  private readonly rocBytes = Buffer.alloc(4);

  constructor(keys: SrtpSessionKeys) {
    if (keys.encryptionKey.length !== 16 || keys.salt.length < 14 || !keys.authKey) {
      throw new RangeError('bad AES-CM/HMAC keys');
    }
    this.key = keys.encryptionKey;
    this.salt = keys.salt;
    this.authKey = keys.authKey;
  }

  protect(
    header: Buffer,
    payload: Uint8Array,
    ssrc: number,
    sequenceNumber: number,
    roc: number,
  ): ProtectedParts {
    const c = this.counter;
    const s = this.salt;
    c[0] = s[0]!;
    c[1] = s[1]!;
    c[2] = s[2]!;
    c[3] = s[3]!;
    c[4] = ((ssrc >>> 24) & 0xff) ^ s[4]!;
    c[5] = ((ssrc >>> 16) & 0xff) ^ s[5]!;
    c[6] = ((ssrc >>> 8) & 0xff) ^ s[6]!;
    c[7] = (ssrc & 0xff) ^ s[7]!;
    c[8] = ((roc >>> 24) & 0xff) ^ s[8]!;
    c[9] = ((roc >>> 16) & 0xff) ^ s[9]!;
    c[10] = ((roc >>> 8) & 0xff) ^ s[10]!;
    c[11] = (roc & 0xff) ^ s[11]!;
    c[12] = ((sequenceNumber >>> 8) & 0xff) ^ s[12]!;
    c[13] = (sequenceNumber & 0xff) ^ s[13]!;
    c[14] = 0;
    c[15] = 0;
    const encrypted = createCipheriv('aes-128-ctr', this.key, c).update(payload);
    this.rocBytes.writeUInt32BE(roc >>> 0, 0);
    const tag = createHmac('sha1', this.authKey)
      .update(header)
      .update(encrypted)
      .update(this.rocBytes)
      .digest()
      .subarray(0, 10);
    return { encrypted, tag };
  }
}
