import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MediaSpreadError, type MediaSpreadErrorOptions, registerErrorClass } from '../errors.js';

/** A stored secret that does not decrypt with the configured key (wrong key or tampered). */
export class DecryptionError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'DATA_LOSS', ...options });
  }
}
registerErrorClass(DecryptionError);

const PREFIX = 'aes256gcm:';

/** Parses a 32-byte key given as 64 hex characters or base64; throws on anything else. */
export function parseEncryptionKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new MediaSpreadError('encryption key must be 32 bytes (64 hex chars or base64)');
  return key;
}

/** AES-256-GCM for single string fields: `aes256gcm:` + base64(iv 12 | tag 16 | ciphertext). */
export class FieldCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new MediaSpreadError('AES-256-GCM needs a 32-byte key');
  }

  static isEncrypted(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  decrypt(stored: string): string {
    if (!FieldCipher.isEncrypted(stored)) throw new DecryptionError('value is not encrypted');
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new DecryptionError('stored secret does not decrypt with the configured key', { cause: err });
    }
  }
}
