import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildMAuthHeader } from '../../common/auth/mauth.js';
import { makeSelfSignedCert } from '../support/self-signed-cert.js';
import { ApiHarness } from './api-harness.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('management API over HTTPS', { skip: hasOpenssl() ? false : 'openssl not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ms-tls-'));
  let h: ApiHarness | undefined;
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves with the configured certificate and key', async () => {
    const { cert, key } = makeSelfSignedCert(dir);
    h = await ApiHarness.start({ config: { tls: { cert, key } } });
    assert.match(h.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const auth = buildMAuthHeader({ serviceId: h.service._id, serviceKey: h.service.key });
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${h?.url}/v1/rooms`,
        { headers: { authorization: auth }, ca: readFileSync(cert), timeout: 5000 },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString('utf8');
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body), []);
  });
});
