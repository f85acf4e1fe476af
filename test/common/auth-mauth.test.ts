import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuthenticationError } from '../../common/auth/auth-errors.js';
import { buildMAuthHeader, MAuthVerifier, parseMAuthHeader } from '../../common/auth/mauth.js';

const KEYS = new Map([['svc1', 'key-of-service-1']]);
const creds = { serviceId: 'svc1', serviceKey: 'key-of-service-1' };

function verifier(now: () => number = Date.now) {
  return new MAuthVerifier({
    skewMs: 60_000,
    nonceTtlMs: 1000,
    lookupKey: async (id) => KEYS.get(id) ?? null,
    now,
  });
}

describe('MAuth', () => {
  it('signs exactly as OWT: base64(hex(HMAC-SHA256(key, "timestamp,cnonce")))', () => {
    const header = buildMAuthHeader(creds, { timestamp: 1700000000000, cnonce: '12345' });
    const hex = createHmac('sha256', 'key-of-service-1').update('1700000000000,12345').digest('hex');
    assert.equal(
      header,
      'MAuth realm=http://marte3.dit.upm.es,mauth_signature_method=HMAC_SHA256,mauth_serviceid=svc1,' +
        `mauth_cnonce=12345,mauth_timestamp=1700000000000,mauth_signature=${Buffer.from(hex).toString('base64')}`,
    );
    const p = parseMAuthHeader(header);
    assert.ok(p.get('mauth_signature')?.endsWith('='), 'base64 padding kept');
  });

  it('accepts a valid header, in any parameter order, with username and role', async () => {
    const v = verifier();
    const header = buildMAuthHeader({ ...creds, username: 'alice', role: 'presenter' });
    const [scheme, rest] = [header.slice(0, 6), header.slice(6)];
    const reordered = scheme + rest.split(',').reverse().join(',');
    assert.deepEqual(await v.verify(reordered), { serviceId: 'svc1', username: 'alice', role: 'presenter' });
  });

  it('refuses missing, forged, unknown-service, stale and replayed requests', async () => {
    const now = 10_000_000;
    const v = verifier(() => now);
    await assert.rejects(v.verify(undefined), AuthenticationError);
    await assert.rejects(v.verify('Basic abc'), AuthenticationError);
    const forged = buildMAuthHeader({ ...creds, serviceKey: 'wrong' }, { timestamp: now });
    const unknown = buildMAuthHeader({ serviceId: 'nope', serviceKey: 'x' }, { timestamp: now });
    const e1 = await v.verify(forged).catch((e: unknown) => e);
    const e2 = await v.verify(unknown).catch((e: unknown) => e);
    assert.ok(e1 instanceof AuthenticationError && e2 instanceof AuthenticationError);
    assert.equal(e1.message, e2.message, 'an unknown service looks like a bad signature');
    await assert.rejects(v.verify(buildMAuthHeader(creds, { timestamp: now - 60_001 })), /skew/);
    await assert.rejects(v.verify(buildMAuthHeader(creds, { timestamp: now + 60_001 })), /skew/);
    const once = buildMAuthHeader(creds, { timestamp: now, cnonce: 'n1' });
    assert.deepEqual(await v.verify(once), { serviceId: 'svc1' });
    await assert.rejects(v.verify(once), /replay/);
    // A tampered timestamp with the old signature does not verify.
    await assert.rejects(
      v.verify(once.replace(`mauth_timestamp=${now}`, `mauth_timestamp=${now + 1}`)),
      /signature/,
    );
  });

  it('remembers nonces for at least twice the skew', async () => {
    let now = 0;
    const v = verifier(() => now);
    const header = buildMAuthHeader(creds, { timestamp: 0, cnonce: 'n' });
    await v.verify(header);
    now = 59_000; // nonceTtlMs is 1000, but the timestamp is still inside the skew
    await assert.rejects(v.verify(header), /replay/);
  });
});
