import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManagementApiClient } from '../../management-api/api-client.js';
import { type CliProcess, startCli } from '../support/cli-process.js';

/** `npm start` runs this command: every part that has landed, on embedded defaults. */
describe('all-in-one launcher', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mediaspread-aio-'));
  const env = {
    MEDIASPREAD__store__dataDir: dataDir,
    MEDIASPREAD__managementApi__port: '0',
    MEDIASPREAD__portal__port: '0',
    MEDIASPREAD__demo__port: '0',
  };
  const procs: CliProcess[] = [];
  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
  });

  const credentials = { id: '', key: '' };

  it('starts on embedded defaults, prints its URLs and the super service once', async () => {
    const proc = startCli(['all-in-one'], env);
    procs.push(proc);
    await proc.waitFor('Ctrl-C stops it.');
    const out = proc.output();
    credentials.id = /MEDIASPREAD_SERVICE_ID=(\S+)/.exec(out)?.[1] ?? '';
    credentials.key = /MEDIASPREAD_SERVICE_KEY=(\S+)/.exec(out)?.[1] ?? '';
    assert.ok(credentials.id && credentials.key, out);
    const api = /REST API: (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out)?.[1];
    assert.ok(api, out);
    // The printed credentials work against the printed URL.
    const client = new ManagementApiClient({
      url: api,
      serviceId: credentials.id,
      serviceKey: credentials.key,
    });
    const created = await client.requestOk('POST', '/v1/rooms', { name: 'launcher-room' });
    const room = created.json as { _id: string; name: string };
    assert.equal(room.name, 'launcher-room');
    // Tokens name the portal a client connects to: the all-in-one portal, as printed.
    const portal = /Portal \(socket\.io\): http:\/\/(127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(portal, out);
    const token = await client.request('POST', `/v1/rooms/${room._id}/tokens`, {
      user: 'u',
      role: 'presenter',
    });
    assert.equal(token.status, 200, token.text);
    const payload = JSON.parse(Buffer.from(token.text, 'base64').toString('utf8')) as { host: string };
    assert.equal(payload.host, portal);
    // Unsigned requests are refused.
    assert.equal((await fetch(`${api}/v1/rooms`)).status, 401);
    proc.child.kill('SIGINT');
    const { code } = await proc.exited;
    assert.equal(code, 0, 'Ctrl-C stops cleanly');
  });

  it('a restart keeps the data and does not print the key again', async () => {
    const proc = startCli(['all-in-one'], env);
    procs.push(proc);
    await proc.waitFor('Ctrl-C stops it.');
    const out = proc.output();
    assert.doesNotMatch(out, /MEDIASPREAD_SERVICE_KEY/);
    const api = /REST API: (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out)?.[1] as string;
    const client = new ManagementApiClient({
      url: api,
      serviceId: credentials.id,
      serviceKey: credentials.key,
    });
    const rooms = (await client.requestOk('GET', '/v1/rooms')).json as { name: string }[];
    assert.ok(rooms.some((r) => r.name === 'launcher-room'));
    proc.child.kill('SIGTERM');
    assert.equal((await proc.exited).code, 0);
  });

  it('serves the demo page and its development token endpoint', async () => {
    const proc = startCli(['all-in-one'], env);
    procs.push(proc);
    await proc.waitFor('Ctrl-C stops it.');
    const out = proc.output();
    const demo = /Demo page: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    assert.ok(demo, out);
    const page = await fetch(`${demo}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    // A token for the demo room (created on first use, the same room afterwards).
    const ask = (body: unknown) =>
      fetch(`${demo}/dev/token`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const first = (await (await ask({ user: 'alice' })).json()) as { token: string; room: string };
    const second = (await (await ask({ user: 'bob', role: 'viewer' })).json()) as {
      token: string;
      room: string;
    };
    assert.equal(first.room, second.room);
    assert.notEqual(first.token, second.token);
    const portal = /Portal \(socket\.io\): http:\/\/(127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const payload = JSON.parse(Buffer.from(first.token, 'base64').toString('utf8')) as { host: string };
    assert.equal(payload.host, portal);
    // Bad requests are refused with a reason, unknown roles by the REST API's own validation.
    const bad = await ask({ user: '' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /user/);
    const badRole = await ask({ user: 'carol', role: 'emperor' });
    assert.equal(badRole.status, 400);
    proc.child.kill('SIGTERM');
    assert.equal((await proc.exited).code, 0);
  });
});
