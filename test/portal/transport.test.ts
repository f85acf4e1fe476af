import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { makeSelfSignedCert } from '../support/self-signed-cert.js';
import { loginMessage, PortalHarness, request } from './portal-harness.js';

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('portal: socket.io transport', () => {
  let h: PortalHarness;
  before(async () => {
    h = await PortalHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('accepts Engine.IO 3 clients (socket.io 2.x SDKs) and reflects the origin with credentials (CORS)', async () => {
    const eio3 = await get(`${h.portal.url}/socket.io/?EIO=3&transport=polling`, {
      origin: 'http://example.test',
    });
    assert.equal(eio3.status, 200, eio3.body);
    // EIO3 polling frames carry a length prefix: `<len>:0{"sid":…}`.
    assert.match(eio3.body, /^\d+:0\{"sid":/);
    assert.equal(eio3.headers['access-control-allow-origin'], 'http://example.test');
    assert.equal(eio3.headers['access-control-allow-credentials'], 'true');
    const eio4 = await get(`${h.portal.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(eio4.status, 200);
    assert.match(eio4.body, /^0\{"sid":/);
  });

  it('works over HTTP long-polling too', async () => {
    const socket = io(h.portal.url, { transports: ['polling'], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('connect timed out')), 5000);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const [status] = await request(socket, 'login', loginMessage(await h.issueToken('room-poll')));
      assert.equal(status, 'ok');
    } finally {
      socket.disconnect();
    }
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('portal over HTTPS/WSS', { skip: hasOpenssl() ? false : 'openssl not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ms-portal-tls-'));
  let h: PortalHarness | undefined;
  let socket: Socket | undefined;
  after(async () => {
    socket?.disconnect();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves wss with the configured certificate and registers itself as secure', async () => {
    const { cert, key } = makeSelfSignedCert(dir);
    h = await PortalHarness.start({ tls: { cert, key } });
    assert.match(h.portal.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const workers = (await h.bus.call('cluster-manager', 'getWorkers', ['portal'])) as Array<{
      id: string;
      info: Record<string, unknown>;
    }>;
    assert.equal(workers.find((w) => w.id === h?.portal.id)?.info.secure, 1);
    socket = io(h.portal.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ca: readFileSync(cert, 'utf8'),
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('wss connect timed out')), 5000);
      socket?.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket?.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const [status] = await request(socket, 'login', loginMessage(await h.issueToken('room-tls')));
    assert.equal(status, 'ok');
  });
});
