import { randomBytes } from 'node:crypto';
import { MediaSpreadError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { Store, StoreDocument } from '../store/store.js';
import { TokenInvalidError } from './auth-errors.js';
import { owtSignature, safeEqual } from './hmac.js';

const log = createLogger('token-service');

export const TOKENS_COLLECTION = 'tokens';
/** OWT: a token is void 3 minutes after it was issued. */
export const TOKEN_LIFETIME_MS = 3 * 60 * 1000;

export interface TokenPreference {
  isp?: string;
  region?: string;
}

export interface TokenGrant {
  room: string;
  user: string;
  role: string;
  /** Where the client wants to be served; the portal passes it to scheduling. */
  preference: TokenPreference;
  /** Where the request came from (OWT keeps it as `origin`). */
  origin: TokenPreference;
  /** Service that issued the token. */
  service: string;
  /** Portal address `name:port` (no scheme) the client connects to. */
  host: string;
  secure: boolean;
  webTransportUrl?: string;
}

export interface TokenRecord extends TokenGrant {
  tokenId: string;
  createdAt: number;
  expiresAt: number;
}

/** What the client receives, base64(JSON) of this. */
export interface TokenPayload {
  tokenId: string;
  host: string;
  secure: boolean;
  webTransportUrl?: string;
  signature: string;
}

/** What a portal needs (TokenService itself, or RemoteTokenVerifier from token-rpc.ts). */
export interface TokenVerifierLike {
  verifyAndConsume(token: string): Promise<TokenRecord>;
}

export interface TokenServiceOptions {
  store: Store;
  /** The cluster-wide token key (cluster.tokenKey); never a service key. */
  key: string;
  lifetimeMs?: number;
  now?: () => number;
}

/**
 * Issues and checks client tokens (OWT format). Tokens are single use: verifyAndConsume takes
 * the token document out of the store atomically, so with a shared store (MongoDB) only one
 * portal process can ever accept a given token.
 */
export class TokenService implements TokenVerifierLike {
  private readonly lifetimeMs: number;
  private readonly now: () => number;
  private lastPurge = 0;

  constructor(private readonly options: TokenServiceOptions) {
    if (!options.key)
      throw new MediaSpreadError('a token key is required (cluster.tokenKey)', { code: 'INVALID_CONFIG' });
    this.lifetimeMs = options.lifetimeMs ?? TOKEN_LIFETIME_MS;
    this.now = options.now ?? Date.now;
  }

  async issue(grant: TokenGrant): Promise<string> {
    const tokenId = randomBytes(12).toString('hex');
    const createdAt = this.now();
    const record: TokenRecord = { ...grant, tokenId, createdAt, expiresAt: createdAt + this.lifetimeMs };
    if (record.webTransportUrl === undefined) delete record.webTransportUrl;
    await this.options.store.insert(TOKENS_COLLECTION, toDocument(record));
    this.purgeNowAndThen(createdAt);
    const payload: TokenPayload = {
      tokenId,
      host: grant.host,
      secure: grant.secure,
      ...(grant.webTransportUrl === undefined ? {} : { webTransportUrl: grant.webTransportUrl }),
      signature: signToken(this.options.key, tokenId, grant.host, grant.webTransportUrl),
    };
    return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
  }

  /** Checks the signature, then consumes the token: a second call with it fails. */
  async verifyAndConsume(token: string): Promise<TokenRecord> {
    const payload = decodeToken(token);
    const expected = signToken(this.options.key, payload.tokenId, payload.host, payload.webTransportUrl);
    if (!safeEqual(expected, payload.signature))
      throw new TokenInvalidError('token signature does not verify');
    const doc = await this.options.store.take(TOKENS_COLLECTION, payload.tokenId);
    if (!doc) throw new TokenInvalidError('token unknown or already used');
    const record = fromDocument(doc);
    if (record.expiresAt <= this.now()) throw new TokenInvalidError('token expired');
    if (record.host !== payload.host || record.secure !== payload.secure) {
      throw new TokenInvalidError('token does not match its record');
    }
    return record;
  }

  private purgeNowAndThen(now: number): void {
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    this.options.store
      .purgeExpired(TOKENS_COLLECTION, now)
      .catch((err: unknown) => log.warn({ err }, 'cannot purge expired tokens'));
  }
}

export function signToken(key: string, tokenId: string, host: string, webTransportUrl?: string): string {
  return owtSignature(key, `${tokenId},${host},${webTransportUrl ?? 'undefined'}`);
}

/** Parses a client token without checking it; TokenInvalidError when it is not one. */
export function decodeToken(token: string): TokenPayload {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw new TokenInvalidError('token is not base64 JSON');
  }
  if (typeof value !== 'object' || value === null) throw new TokenInvalidError('token is not an object');
  const v = value as Record<string, unknown>;
  if (
    typeof v.tokenId !== 'string' ||
    typeof v.host !== 'string' ||
    typeof v.secure !== 'boolean' ||
    typeof v.signature !== 'string' ||
    (v.webTransportUrl !== undefined && typeof v.webTransportUrl !== 'string')
  ) {
    throw new TokenInvalidError('token lacks tokenId, host, secure or signature');
  }
  return {
    tokenId: v.tokenId,
    host: v.host,
    secure: v.secure,
    signature: v.signature,
    ...(typeof v.webTransportUrl === 'string' ? { webTransportUrl: v.webTransportUrl } : {}),
  };
}

function toDocument(record: TokenRecord): StoreDocument {
  const { tokenId, ...rest } = record;
  return { _id: tokenId, ...rest };
}

function fromDocument(doc: StoreDocument): TokenRecord {
  const { _id, ...rest } = doc;
  return { ...(rest as Omit<TokenRecord, 'tokenId'>), tokenId: _id };
}
