import { randomBytes, randomInt } from 'node:crypto';
import { AuthenticationError } from './auth-errors.js';
import { owtSignature, safeEqual } from './hmac.js';
import { NonceCache } from './nonce-cache.js';

/**
 * MAuth, OWT's REST service authentication. Header (order as OWT's REST client sends it):
 * `MAuth realm=…,mauth_signature_method=HMAC_SHA256,mauth_serviceid=ID,mauth_cnonce=N,
 * mauth_timestamp=MS,mauth_signature=SIG[,mauth_username=B64,mauth_role=R]`; SIG is
 * base64(hex(HMAC-SHA256(serviceKey, "timestamp,cnonce[,username,role]"))).
 */
export const MAUTH_REALM = 'http://marte3.dit.upm.es';

export interface MAuthCredentials {
  serviceId: string;
  serviceKey: string;
  /** Plain user name; sent base64-encoded as OWT does. Signed only together with role. */
  username?: string;
  role?: string;
}

export interface MAuthIdentity {
  serviceId: string;
  username?: string;
  role?: string;
}

export function buildMAuthHeader(
  creds: MAuthCredentials,
  options: { timestamp?: number; cnonce?: string } = {},
): string {
  const timestamp = options.timestamp ?? Date.now();
  const cnonce = options.cnonce ?? String(randomInt(0, 2 ** 47)) + randomBytes(4).toString('hex');
  const username =
    creds.username !== undefined ? Buffer.from(creds.username, 'utf8').toString('base64') : undefined;
  let text = `${timestamp},${cnonce}`;
  if (username !== undefined && creds.role !== undefined) text += `,${username},${creds.role}`;
  let header =
    `MAuth realm=${MAUTH_REALM},mauth_signature_method=HMAC_SHA256,mauth_serviceid=${creds.serviceId},` +
    `mauth_cnonce=${cnonce},mauth_timestamp=${timestamp}`;
  if (username !== undefined && creds.role !== undefined) {
    header += `,mauth_username=${username},mauth_role=${creds.role}`;
  }
  return `${header},mauth_signature=${owtSignature(creds.serviceKey, text)}`;
}

/** Parses like OWT: any order, split at the first '=' only (base64 padding kept), no unquoting. */
export function parseMAuthHeader(header: string): Map<string, string> {
  const params = new Map<string, string>();
  const body = header.replace(/^MAuth\s+/, '');
  for (const part of body.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    params.set(part.slice(0, eq).trim(), part.slice(eq + 1));
  }
  return params;
}

export interface MAuthVerifierOptions {
  /** Accept timestamps this far from our clock, either way. */
  skewMs: number;
  /** How long nonces are remembered; raised to at least 2 × skewMs, the window a timestamp stays valid. */
  nonceTtlMs: number;
  /** Looks up a service's key; null when the service does not exist. */
  lookupKey: (serviceId: string) => Promise<string | null>;
  now?: () => number;
}

/** Key used to compute a signature for unknown services, so that both paths cost the same. */
const DECOY_KEY = randomBytes(32).toString('hex');

export class MAuthVerifier {
  private readonly nonces: NonceCache;
  private readonly now: () => number;

  constructor(private readonly options: MAuthVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.nonces = new NonceCache(Math.max(options.nonceTtlMs, 2 * options.skewMs), undefined, this.now);
  }

  /** Resolves with the caller's identity or rejects with AuthenticationError. */
  async verify(header: string | undefined): Promise<MAuthIdentity> {
    if (!header || !/^MAuth\s/.test(header)) throw new AuthenticationError('missing MAuth authorization');
    const p = parseMAuthHeader(header);
    if (p.get('mauth_signature_method') !== 'HMAC_SHA256') {
      throw new AuthenticationError('unsupported signature method');
    }
    const serviceId = p.get('mauth_serviceid');
    const cnonce = p.get('mauth_cnonce');
    const timestampText = p.get('mauth_timestamp');
    const signature = p.get('mauth_signature');
    if (!serviceId || !cnonce || !timestampText || !signature) {
      throw new AuthenticationError('incomplete MAuth authorization');
    }
    const timestamp = Number(timestampText);
    if (!Number.isFinite(timestamp) || Math.abs(this.now() - timestamp) > this.options.skewMs) {
      throw new AuthenticationError('MAuth timestamp outside the allowed clock skew');
    }
    const username = p.get('mauth_username');
    const role = p.get('mauth_role');
    let text = `${timestampText},${cnonce}`;
    if (username !== undefined && role !== undefined) text += `,${username},${role}`;
    const key = await this.options.lookupKey(serviceId);
    const expected = owtSignature(key ?? DECOY_KEY, text);
    // Same message for an unknown service and a wrong signature: do not reveal which services exist.
    if (!safeEqual(expected, signature) || key === null) {
      throw new AuthenticationError('MAuth signature does not verify');
    }
    if (!this.nonces.remember(`${serviceId}\u0000${cnonce}`)) {
      throw new AuthenticationError('MAuth nonce already used (replayed request)');
    }
    const identity: MAuthIdentity = { serviceId };
    if (username !== undefined && role !== undefined) {
      identity.username = Buffer.from(username, 'base64').toString('utf8');
      identity.role = role;
    }
    return identity;
  }
}
