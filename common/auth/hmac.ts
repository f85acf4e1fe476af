import { createHmac, timingSafeEqual } from 'node:crypto';

/** OWT's signature shape: base64 of the lowercase hex text of HMAC-SHA256(key, text). */
export function owtSignature(key: string, text: string): string {
  const hex = createHmac('sha256', key).update(text).digest('hex');
  return Buffer.from(hex, 'utf8').toString('base64');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
