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

/**
 * Both profiles' per-packet block: the salt's first `at` bytes, then SSRC ‖ ROC ‖ SEQ (10 bytes,
 * big-endian) XOR the salt's next 10 — the GCM IV at `at` = 2, the CM counter at `at` = 4.
 * Written into a preallocated buffer: no allocation per packet.
 */
function writeSaltedIndex(
  out: Buffer,
  at: number,
  salt: Buffer,
  ssrc: number,
  roc: number,
  seq: number,
): void {
  for (let i = 0; i < at; i++) out[i] = salt[i]!;
  out[at] = ((ssrc >>> 24) & 0xff) ^ salt[at]!;
  out[at + 1] = ((ssrc >>> 16) & 0xff) ^ salt[at + 1]!;
  out[at + 2] = ((ssrc >>> 8) & 0xff) ^ salt[at + 2]!;
  out[at + 3] = (ssrc & 0xff) ^ salt[at + 3]!;
  out[at + 4] = ((roc >>> 24) & 0xff) ^ salt[at + 4]!;
  out[at + 5] = ((roc >>> 16) & 0xff) ^ salt[at + 5]!;
  out[at + 6] = ((roc >>> 8) & 0xff) ^ salt[at + 6]!;
  out[at + 7] = (roc & 0xff) ^ salt[at + 7]!;
  out[at + 8] = ((seq >>> 8) & 0xff) ^ salt[at + 8]!;
  out[at + 9] = (seq & 0xff) ^ salt[at + 9]!;
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
    writeSaltedIndex(iv, 2, this.salt, ssrc, roc, sequenceNumber);
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
    writeSaltedIndex(c, 4, this.salt, ssrc, roc, sequenceNumber);
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
