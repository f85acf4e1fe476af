import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildMAuthHeader } from '../../common/auth/mauth.js';
import { managementApiSchema } from '../../management-api/config.js';
import { allRoutes } from '../../management-api/server.js';
import { ApiHarness } from './api-harness.js';

/** Every authenticated route, with its {params} filled with a placeholder id. */
function authenticatedRoutes(): Array<{ method: string; path: string }> {
  // The route table only reads the config until a handler runs.
  const routes = allRoutes({ config: managementApiSchema.parse({}) } as Parameters<typeof allRoutes>[0]);
  return routes
    .filter((r) => r.auth !== 'none')
    .map((r) => ({ method: r.method, path: r.pattern.replace(/\{\w+\}/g, '0123456789abcdef01234567') }));
}

async function send(
  url: string,
  method: string,
  path: string,
  authorization?: string,
): Promise<{ status: number; body: { error?: { message: string } } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : {} };
}

describe('management API: MAuth on every endpoint', () => {
  let h: ApiHarness;
  before(async () => {
    h = await ApiHarness.start({ config: { mauth: { skewMs: 30_000, nonceTtlMs: 60_000 } } });
  });
  after(async () => {
    await h?.close();
  });

  const routes = authenticatedRoutes();

  it('covers every route of the table', () => {
    assert.ok(routes.length >= 30, `only ${routes.length} routes`);
  });

  for (const { method, path } of routes) {
    it(`${method} ${path}: missing, forged, unknown-service, expired and replayed auth → 401`, async () => {
      const creds = { serviceId: h.service._id, serviceKey: h.service.key };
      const missing = await send(h.url, method, path);
      assert.equal(missing.status, 401);
      const forged = await send(
        h.url,
        method,
        path,
        buildMAuthHeader({ ...creds, serviceKey: 'forged-key' }),
      );
      assert.equal(forged.status, 401);
      const unknown = await send(
        h.url,
        method,
        path,
        buildMAuthHeader({ serviceId: '0'.repeat(24), serviceKey: 'k' }),
      );
      assert.equal(unknown.status, 401);
      assert.equal(
        unknown.body.error?.message,
        forged.body.error?.message,
        'does not reveal whether a service exists',
      );
      const expired = await send(
        h.url,
        method,
        path,
        buildMAuthHeader(creds, { timestamp: Date.now() - 31_000 }),
      );
      assert.equal(expired.status, 401);
      const header = buildMAuthHeader(creds);
      const first = await send(h.url, method, path, header);
      assert.notEqual(first.status, 401, 'a valid header is accepted');
      const replay = await send(h.url, method, path, header);
      assert.equal(replay.status, 401);
      assert.match(String(replay.body.error?.message), /replay/);
    });
  }

  it('lets only the super service manage services (403 for others)', async () => {
    assert.equal((await h.client().request('GET', '/services')).status, 403);
    assert.equal((await h.client().request('POST', '/services', { name: 'x' })).status, 403);
    const list = await h.client(h.superService).request('GET', '/services');
    assert.equal(list.status, 200);
    const names = (list.json as Array<{ name: string; key?: string }>).map((s) => s.name);
    assert.ok(names.includes('tenant') && names.includes('super'));
    assert.ok(
      (list.json as Array<{ key?: string }>).every((s) => s.key === undefined),
      'list shows no keys',
    );
  });

  it('services: create (key shown), get, bad body, delete (rooms go too), unknown id, super not deletable', async () => {
    const sup = h.client(h.superService);
    assert.equal((await sup.request('POST', '/services', { name: '' })).status, 400);
    assert.equal((await sup.request('POST', '/services', { name: 'n', key: 'short' })).status, 400);
    const created = (await sup.request('POST', '/services', { name: 'temp' })).json as {
      _id: string;
      key: string;
    };
    assert.ok(created.key.length >= 16);
    const got = (await sup.request('GET', `/services/${created._id}`)).json as { name: string };
    assert.equal(got.name, 'temp');
    const tenant = h.client({
      _id: created._id,
      key: created.key,
      name: 'temp',
      isSuper: false,
      createdAt: 0,
    });
    const room = (await tenant.request('POST', '/v1/rooms', { name: 'r' })).json as { _id: string };
    assert.equal((await sup.request('DELETE', `/services/${created._id}`)).status, 200);
    assert.equal((await sup.request('GET', `/services/${created._id}`)).status, 404);
    assert.equal((await sup.request('DELETE', `/services/${created._id}`)).status, 404);
    assert.equal(await h.store.get('rooms', room._id), null);
    assert.equal((await tenant.request('GET', '/v1/rooms')).status, 401, 'a deleted service cannot sign in');
    assert.equal((await sup.request('DELETE', `/services/${h.superService._id}`)).status, 403);
  });

  it('unknown paths are 404 and do not need auth to say so', async () => {
    assert.equal((await send(h.url, 'GET', '/v1/nothing')).status, 404);
  });
});
