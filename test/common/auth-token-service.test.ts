import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TokenInvalidError } from '../../common/auth/auth-errors.js';
import { RemoteTokenVerifier, serveTokenVerifier } from '../../common/auth/token-rpc.js';
import { decodeToken, TOKEN_LIFETIME_MS, TokenService } from '../../common/auth/token-service.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { EmbeddedStore } from '../../common/store/embedded-store.js';

const KEY = 'cluster-token-key';
const grant = {
  room: 'room1',
  user: 'alice',
  role: 'presenter',
  preference: { isp: 'isp1', region: 'eu' },
  origin: { isp: 'isp1', region: 'eu' },
  service: 'svc',
  host: 'portal.example:8080',
  secure: true,
};

describe('TokenService', () => {
  let dir: string;
  let store: EmbeddedStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ms-tok-'));
    store = await EmbeddedStore.open({ dataDir: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues the OWT format: base64 JSON {tokenId, host, secure, signature}', async () => {
    const tokens = new TokenService({ store, key: KEY });
    const token = await tokens.issue(grant);
    const payload = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    assert.deepEqual(Object.keys(payload).sort(), ['host', 'secure', 'signature', 'tokenId']);
    assert.equal(payload.host, 'portal.example:8080');
    assert.equal(payload.secure, true);
    const hex = createHmac('sha256', KEY)
      .update(`${payload.tokenId},portal.example:8080,undefined`)
      .digest('hex');
    assert.equal(payload.signature, Buffer.from(hex).toString('base64'));
  });

  it('signs webTransportUrl when present', async () => {
    const tokens = new TokenService({ store, key: KEY });
    const token = await tokens.issue({ ...grant, webTransportUrl: 'https://wt.example:7700' });
    const p = decodeToken(token);
    const hex = createHmac('sha256', KEY)
      .update(`${p.tokenId},${p.host},https://wt.example:7700`)
      .digest('hex');
    assert.equal(p.signature, Buffer.from(hex).toString('base64'));
    const record = await tokens.verifyAndConsume(token);
    assert.equal(record.webTransportUrl, 'https://wt.example:7700');
  });

  it('verifies once, with room, user, role, preference and origin; refuses the second use', async () => {
    const tokens = new TokenService({ store, key: KEY });
    const token = await tokens.issue(grant);
    const record = await tokens.verifyAndConsume(token);
    assert.equal(record.room, 'room1');
    assert.equal(record.user, 'alice');
    assert.equal(record.role, 'presenter');
    assert.deepEqual(record.preference, { isp: 'isp1', region: 'eu' });
    assert.deepEqual(record.origin, { isp: 'isp1', region: 'eu' });
    await assert.rejects(tokens.verifyAndConsume(token), TokenInvalidError);
  });

  it('lets only one of many concurrent verifications through', async () => {
    const tokens = new TokenService({ store, key: KEY });
    const token = await tokens.issue(grant);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => tokens.verifyAndConsume(token)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });

  it('refuses an expired token', async () => {
    let now = 1_000_000;
    const tokens = new TokenService({ store, key: KEY, now: () => now });
    const token = await tokens.issue(grant);
    now += TOKEN_LIFETIME_MS + 1;
    await assert.rejects(tokens.verifyAndConsume(token), /expired/);
  });

  it('refuses forged tokens: other key, changed host, garbage', async () => {
    const tokens = new TokenService({ store, key: KEY });
    const other = new TokenService({ store, key: 'another-key' });
    await assert.rejects(tokens.verifyAndConsume(await other.issue(grant)), /signature/);
    const token = await tokens.issue(grant);
    const p = decodeToken(token);
    const moved = Buffer.from(JSON.stringify({ ...p, host: 'evil.example:443' })).toString('base64');
    await assert.rejects(tokens.verifyAndConsume(moved), /signature/);
    await assert.rejects(tokens.verifyAndConsume('not-a-token'), TokenInvalidError);
    await assert.rejects(
      tokens.verifyAndConsume(Buffer.from('{"a":1}').toString('base64')),
      TokenInvalidError,
    );
    // The genuine token is still usable: failed forgeries do not consume it.
    assert.equal((await tokens.verifyAndConsume(token)).user, 'alice');
  });
});

describe('token checks over RPC (store owned by another process)', () => {
  it('verifies once through the bus; the second use and forgeries are TokenInvalidError on the caller side', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-tokrpc-'));
    const store = await EmbeddedStore.open({ dataDir: dir });
    const bus = new LocalBus();
    t.after(async () => {
      await bus.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const tokens = new TokenService({ store, key: KEY });
    await serveTokenVerifier(bus, tokens);
    const remote = new RemoteTokenVerifier(bus);
    const token = await tokens.issue(grant);
    const record = await remote.verifyAndConsume(token);
    assert.equal(record.user, 'alice');
    assert.deepEqual(record.preference, grant.preference);
    await assert.rejects(remote.verifyAndConsume(token), TokenInvalidError);
    await assert.rejects(remote.verifyAndConsume('garbage'), TokenInvalidError);
  });
});
