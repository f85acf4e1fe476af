import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenInvalidError } from '../../common/auth/auth-errors.js';
import { decodeToken, signToken } from '../../common/auth/token-service.js';
import { ApiHarness, PORTAL_HOST, TOKEN_KEY } from './api-harness.js';

type Json = { error?: { code: string; message: string } };

describe('management API: tokens', () => {
  let h: ApiHarness;
  let room: string;
  before(async () => {
    h = await ApiHarness.start();
    room = ((await h.client().request('POST', '/v1/rooms', { name: 'tok' })).json as { _id: string })._id;
  });
  after(async () => {
    await h?.close();
  });

  it('returns the bare token string pointing at the scheduled portal, usable exactly once', async () => {
    const res = await h.client().request('POST', `/v1/rooms/${room}/tokens`, {
      user: 'alice',
      role: 'viewer',
      preference: { isp: 'i1', region: 'r1' },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const payload = decodeToken(res.text);
    assert.equal(payload.host, PORTAL_HOST);
    assert.equal(payload.secure, false);
    assert.equal(payload.signature, signToken(TOKEN_KEY, payload.tokenId, PORTAL_HOST));
    // What the portal will do:
    const record = await h.tokens.verifyAndConsume(res.text);
    assert.equal(record.room, room);
    assert.equal(record.user, 'alice');
    assert.equal(record.role, 'viewer');
    assert.deepEqual(record.preference, { isp: 'i1', region: 'r1' });
    assert.deepEqual(record.origin, { isp: 'i1', region: 'r1' });
    assert.equal(record.service, h.service._id);
    await assert.rejects(h.tokens.verifyAndConsume(res.text), TokenInvalidError);
  });

  it('uses the domain given in the request, keeping the portal port', async () => {
    const res = await h.client().request('POST', `/v1/rooms/${room}/tokens`, {
      user: 'bob',
      role: 'presenter',
      preference: {},
      domain: 'conf.example.com',
    });
    assert.equal(res.status, 200);
    assert.equal(decodeToken(res.text).host, `conf.example.com:${PORTAL_HOST.split(':')[1]}`);
  });

  it('400 for bad bodies and roles the room does not define; 404 for unknown rooms', async () => {
    const c = h.client();
    const cases: Array<[unknown, RegExp]> = [
      [{ role: 'viewer' }, /body\.user/],
      [{ user: 'u' }, /body\.role/],
      [{ user: 'u', role: 'viewer', preference: { isp: 3 } }, /body\.preference\.isp/],
      [{ user: 'u', role: 'admin' }, /body\.role: role 'admin'/],
      [undefined, /body/],
    ];
    for (const [body, pattern] of cases) {
      const res = await c.request('POST', `/v1/rooms/${room}/tokens`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(String((res.json as Json).error?.message), pattern);
    }
    const unknown = await c.request('POST', '/v1/rooms/ffffffffffffffffffffffff/tokens', {
      user: 'u',
      role: 'viewer',
    });
    assert.equal(unknown.status, 404);
  });
});

describe('management API: tokens without a portal', () => {
  let h: ApiHarness;
  before(async () => {
    h = await ApiHarness.start({ portal: false });
  });
  after(async () => {
    await h?.close();
  });

  it('answers 503 when no portal can be scheduled, issuing nothing', async () => {
    const c = h.client();
    const room = ((await c.request('POST', '/v1/rooms', { name: 't' })).json as { _id: string })._id;
    const res = await c.request('POST', `/v1/rooms/${room}/tokens`, { user: 'u', role: 'viewer' });
    assert.equal(res.status, 503);
    assert.match(String((res.json as Json).error?.message), /no portal/);
    assert.equal(await h.store.count('tokens'), 0);
  });
});
