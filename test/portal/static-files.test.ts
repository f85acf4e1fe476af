import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PortalHarness } from './portal-harness.js';

/** Raw GET so that `..` is sent as is (fetch would normalise it). */
function get(url: string, path: string): Promise<{ status: number; body: string; type: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          type: String(res.headers['content-type'] ?? ''),
        }),
      );
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('portal: static files', () => {
  let h: PortalHarness;
  const dir = mkdtempSync(join(tmpdir(), 'ms-portal-static-'));
  const root = join(dir, 'site');
  before(async () => {
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<h1>demo</h1>');
    writeFileSync(join(root, 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'sub', 'index.html'), 'sub');
    writeFileSync(join(root, '.secret'), 'hidden');
    writeFileSync(join(dir, 'outside.txt'), 'outside');
    symlinkSync(join(dir, 'outside.txt'), join(root, 'link.txt'));
    h = await PortalHarness.start({}, root);
  });
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the demo page and its files', async () => {
    const index = await get(h.portal.url, '/');
    assert.equal(index.status, 200);
    assert.equal(index.body, '<h1>demo</h1>');
    assert.match(index.type, /text\/html/);
    const js = await get(h.portal.url, '/app.js?v=1');
    assert.equal(js.status, 200);
    assert.match(js.type, /javascript/);
    assert.equal((await get(h.portal.url, '/sub')).body, 'sub');
    assert.equal((await get(h.portal.url, '/sub/')).body, 'sub');
  });

  it('never serves anything outside the directory, nor dot files', async () => {
    for (const path of [
      '/../outside.txt',
      '/%2e%2e/outside.txt',
      '/sub/..%2f..%2foutside.txt',
      '/..%5coutside.txt',
      '/link.txt',
      '/.secret',
      '/missing.html',
      '/%00',
      '/%zz',
    ]) {
      const res = await get(h.portal.url, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /outside|hidden/, path);
    }
  });

  it('socket.io still answers next to the files', async () => {
    const socket = await h.connect();
    assert.ok(socket.connected);
  });
});
