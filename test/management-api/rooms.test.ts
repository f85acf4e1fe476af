import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotFoundError } from '../../common/errors.js';
import { ApiHarness } from './api-harness.js';

type Room = { _id: string; name: string; [k: string]: unknown };
const errorMessage = (json: unknown): string =>
  String((json as { error: { message: string } }).error.message);

describe('management API: rooms', () => {
  let h: ApiHarness;
  before(async () => {
    h = await ApiHarness.start({ config: { maxBodyBytes: 8192 } });
  });
  after(async () => {
    await h?.close();
  });

  it('creates a room with OWT defaults filled in', async () => {
    const res = await h.client().request('POST', '/v1/rooms', { name: 'defaults', options: {} });
    assert.equal(res.status, 200);
    const room = res.json as Room & {
      roles: Array<{ role: string }>;
      views: Array<{ label: string; video: { maxInput: number; parameters: { resolution: unknown } } }>;
      inputLimit: number;
      mediaOut: { video: { parameters: { bitrate: string[] } } };
      notifying: { streamChange: boolean };
    };
    assert.match(room._id, /^[0-9a-f]{24}$/);
    assert.equal(room.name, 'defaults');
    assert.deepEqual(
      room.roles.map((r) => r.role),
      ['presenter', 'viewer', 'audio_only_presenter', 'video_only_viewer', 'sip'],
    );
    assert.equal(room.views.length, 1);
    assert.equal(room.views[0]?.label, 'common');
    assert.equal(room.views[0]?.video.maxInput, 16);
    assert.deepEqual(room.views[0]?.video.parameters.resolution, { width: 640, height: 480 });
    assert.equal(room.inputLimit, -1);
    assert.deepEqual(room.mediaOut.video.parameters.bitrate, ['x0.8', 'x0.6', 'x0.4', 'x0.2']);
    assert.equal(room.notifying.streamChange, true);
    const got = await h.client().request('GET', `/v1/rooms/${room._id}`);
    assert.deepEqual(got.json, res.json);
  });

  it('keeps given options and fills the rest inside them', async () => {
    const res = await h.client().request('POST', '/v1/rooms', {
      name: 'custom',
      options: {
        participantLimit: 10,
        roles: [
          { role: 'guest', publish: { audio: true, video: false }, subscribe: { audio: true, video: true } },
        ],
        views: [
          { label: 'hd', video: { maxInput: 4, parameters: { resolution: { width: 1280, height: 720 } } } },
        ],
      },
    });
    assert.equal(res.status, 200);
    const room = res.json as {
      participantLimit: number;
      roles: unknown[];
      views: Array<{
        label: string;
        audio: { vad: boolean };
        video: { maxInput: number; parameters: { framerate: number } };
      }>;
    };
    assert.equal(room.participantLimit, 10);
    assert.equal(room.roles.length, 1);
    assert.equal(room.views[0]?.label, 'hd');
    assert.equal(room.views[0]?.video.maxInput, 4);
    assert.equal(room.views[0]?.video.parameters.framerate, 24);
    assert.equal(room.views[0]?.audio.vad, true);
  });

  it('answers 400 naming the field for bad bodies', async () => {
    const c = h.client();
    const cases: Array<[unknown, RegExp]> = [
      [{}, /body\.name/],
      [
        { name: 'x', options: { views: [{ video: { maxInput: 300 } }] } },
        /options\.views\.0\.video\.maxInput/,
      ],
      [{ name: 'x', options: { roles: [{ role: 'r' }] } }, /options\.roles\.0\.publish/],
      [{ name: 'x', options: { views: [{}, {}] } }, /options\.views\.1\.label: duplicate/],
      [{ name: 'x', options: { nonsense: 1 } }, /nonsense/],
      [{ name: 'x', extra: true }, /extra/],
    ];
    for (const [body, pattern] of cases) {
      const res = await c.request('POST', '/v1/rooms', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(errorMessage(res.json), pattern);
    }
    const raw = await fetch(`${h.url}/v1/rooms`, {
      method: 'POST',
      headers: {
        authorization: (await import('../../common/auth/mauth.js')).buildMAuthHeader({
          serviceId: h.service._id,
          serviceKey: h.service.key,
        }),
      },
      body: '{not json',
    });
    assert.equal(raw.status, 400);
    assert.match(errorMessage(await raw.json()), /JSON/);
  });

  it('answers 404 for unknown rooms and for rooms of another service; PATCH is refused', async () => {
    const c = h.client();
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { inputLimit: 3 }],
      ['DELETE', undefined],
    ] as const) {
      const res = await c.request(method, '/v1/rooms/000000000000000000000000', body);
      assert.equal(res.status, 404, method);
      assert.equal((res.json as { error: { code: string } }).error.code, 'NOT_FOUND');
    }
    const own = (await c.request('POST', '/v1/rooms', { name: 'mine' })).json as Room;
    const other = await h.client(h.superService).request('GET', `/v1/rooms/${own._id}`);
    assert.equal(other.status, 404);
    const patch = await c.request('PATCH', `/v1/rooms/${own._id}`, { inputLimit: 1 });
    assert.equal(patch.status, 405);
    assert.ok((patch.json as { error: unknown }).error);
  });

  it('updates with PUT (validated as a whole) and deletes', async () => {
    const c = h.client();
    const room = (await c.request('POST', '/v1/rooms', { name: 'upd' })).json as Room;
    const bad = await c.request('PUT', `/v1/rooms/${room._id}`, { inputLimit: 'many' });
    assert.equal(bad.status, 400);
    assert.match(errorMessage(bad.json), /body\.inputLimit/);
    const ok = await c.request('PUT', `/v1/rooms/${room._id}`, { ...room, inputLimit: 5, name: 'renamed' });
    assert.equal(ok.status, 200);
    const got = (await c.request('GET', `/v1/rooms/${room._id}`)).json as Room;
    assert.equal(got.inputLimit, 5);
    assert.equal(got.name, 'renamed');
    const del = await c.request('DELETE', `/v1/rooms/${room._id}`);
    assert.equal(del.status, 200);
    assert.equal(del.text, 'Room deleted');
    assert.equal((await c.request('GET', `/v1/rooms/${room._id}`)).status, 404);
  });

  it('pages the room list (page, per_page, X-Total-Count)', async () => {
    const created = await h.client(h.superService).request('POST', '/services', { name: 'pager' });
    const svc = created.json as { _id: string; key: string; name: string };
    const c = h.client({ _id: svc._id, key: svc.key, name: svc.name, isSuper: false, createdAt: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(((await c.request('POST', '/v1/rooms', { name: `p${i}` })).json as Room)._id);
    const p1 = await c.request('GET', '/v1/rooms?page=1&per_page=2');
    const p3 = await c.request('GET', '/v1/rooms?page=3&per_page=2');
    assert.deepEqual(
      (p1.json as Room[]).map((r) => r._id),
      ids.slice(0, 2),
    );
    assert.deepEqual(
      (p3.json as Room[]).map((r) => r._id),
      ids.slice(4),
    );
    assert.equal(p1.headers.get('x-total-count'), '5');
    const bad = await c.request('GET', '/v1/rooms?page=0');
    assert.equal(bad.status, 400);
    assert.match(errorMessage(bad.json), /query\.page/);
  });

  it('keeps all of 100 concurrent room creations, none duplicated or lost', async () => {
    const created = await h.client(h.superService).request('POST', '/services', { name: 'burst' });
    const svc = created.json as { _id: string; key: string; name: string };
    const c = h.client({ _id: svc._id, key: svc.key, name: svc.name, isSuper: false, createdAt: 0 });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.request('POST', '/v1/rooms', { name: `burst-${i}` })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(100).fill(200),
    );
    const ids = results.map((r) => (r.json as Room)._id);
    assert.equal(new Set(ids).size, 100);
    const listed = (await c.request('GET', '/v1/rooms?per_page=500')).json as Room[];
    assert.equal(listed.length, 100);
    assert.deepEqual(new Set(listed.map((r) => r._id)), new Set(ids));
    assert.deepEqual(
      new Set(listed.map((r) => r.name)),
      new Set(Array.from({ length: 100 }, (_, i) => `burst-${i}`)),
    );
  });

  it('answers 413 for a body above the limit and keeps serving', async () => {
    const res = await h
      .client()
      .request('POST', '/v1/rooms', { name: 'big', options: { pad: 'x'.repeat(20_000) } });
    assert.equal(res.status, 413);
    assert.equal((res.json as { error: { code: string } }).error.code, 'BODY_TOO_LARGE');
    assert.equal((await h.client().request('GET', '/v1/rooms')).status, 200);
  });

  it('pushes an update to a live room and destroys it on delete', async () => {
    const c = h.client();
    const room = (await c.request('POST', '/v1/rooms', { name: 'live' })).json as Room;
    const calls: Array<[string, unknown[]]> = [];
    await h.goLive(room._id, {
      updateRoomConfig: (roomId: string, config: unknown) => {
        calls.push(['updateRoomConfig', [roomId, config]]);
      },
      destroy: (roomId: string) => {
        calls.push(['destroy', [roomId]]);
      },
    });
    const res = await c.request('PUT', `/v1/rooms/${room._id}`, { participantLimit: 7 });
    assert.equal(res.status, 200);
    assert.equal(calls.length, 1);
    const [method, args] = calls[0] as [string, unknown[]];
    assert.equal(method, 'updateRoomConfig');
    assert.equal(args[0], room._id);
    assert.equal((args[1] as { participantLimit: number }).participantLimit, 7);
    assert.equal((args[1] as { _id?: string })._id, undefined);
    assert.equal((await c.request('DELETE', `/v1/rooms/${room._id}`)).status, 200);
    assert.deepEqual(calls[1], ['destroy', [room._id]]);
  });

  it('serves an OpenAPI document generated from the schemas, without auth', async () => {
    const res = await fetch(`${h.url}/v1/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<
                string,
                { schema: { properties?: Record<string, unknown>; required?: string[] } }
              >;
            };
          }
        >
      >;
    };
    assert.equal(doc.openapi, '3.0.3');
    const create = doc.paths['/v1/rooms']?.post?.requestBody?.content['application/json']?.schema;
    assert.deepEqual(create?.required, ['name']);
    assert.ok(create?.properties?.options);
    const token =
      doc.paths['/v1/rooms/{room}/tokens']?.post?.requestBody?.content['application/json']?.schema;
    assert.ok(token?.properties?.user && token.properties.role && token.properties.preference);
    assert.ok(doc.paths['/v1/rooms/{room}/streams/{stream}']?.patch);
    assert.ok(doc.paths['/services/{service}']?.delete);
  });

  it('maps a conference NotFoundError to 404 (sanity of error crossing RPC)', async () => {
    const c = h.client();
    const room = (await c.request('POST', '/v1/rooms', { name: 'nf' })).json as Room;
    await h.goLive(room._id, {
      getStream: () => {
        throw new NotFoundError('no such stream');
      },
    });
    const res = await c.request('GET', `/v1/rooms/${room._id}/streams/s1`);
    assert.equal(res.status, 404);
    assert.match(errorMessage(res.json), /no such stream/);
  });
});
