import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NotFoundError } from '../../common/errors.js';
import { ApiHarness } from './api-harness.js';

type Json = { error?: { code: string; message: string } };
const R = (room: string) => `/v1/rooms/${room}`;

/** Valid bodies for the PATCH endpoints (OWT's JSON-patch style operations). */
const PARTICIPANT_PATCH = [
  { op: 'replace', path: '/permission/publish', value: { audio: false, video: true } },
];
const STREAM_PATCH = [
  { op: 'add', path: '/info/inViews', value: 'common' },
  { op: 'replace', path: '/media/audio/status', value: 'inactive' },
];
const OUTPUT_PATCH = [{ op: 'replace', path: '/media/video/from', value: 's1' }];

describe('management API: live room state', () => {
  let h: ApiHarness;
  let idle: string;
  let live: string;
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const participant = { id: 'p1', role: 'presenter', user: 'alice', permission: {}, info: {} };
  const stream = { id: 's1', type: 'forward', media: { tracks: [] }, info: { owner: 'p1', inViews: [] } };

  before(async () => {
    h = await ApiHarness.start();
    const c = h.client();
    idle = ((await c.request('POST', '/v1/rooms', { name: 'idle' })).json as { _id: string })._id;
    live = ((await c.request('POST', '/v1/rooms', { name: 'live' })).json as { _id: string })._id;
    const record =
      (method: string, answer: (...args: unknown[]) => unknown) =>
      (...args: never[]) => {
        calls.push({ method, args });
        return answer(...args);
      };
    const byId = (id: string, items: Array<{ id: string }>) => {
      const found = items.find((i) => i.id === id);
      if (!found) throw new NotFoundError(`${id} not found`);
      return found;
    };
    await h.goLive(live, {
      getParticipants: record('getParticipants', () => [participant]),
      getParticipant: record('getParticipant', (_r, id) => byId(id as string, [participant])),
      updateParticipant: record('updateParticipant', (_r, id) => byId(id as string, [participant])),
      dropParticipant: record('dropParticipant', (_r, id) => void byId(id as string, [participant])),
      getStreams: record('getStreams', () => [stream]),
      getStream: record('getStream', (_r, id) => byId(id as string, [stream])),
      updateStream: record('updateStream', (_r, id) => byId(id as string, [stream])),
      deleteStream: record('deleteStream', (_r, id) => void byId(id as string, [stream])),
      getStreamingOuts: record('getStreamingOuts', () => []),
      getRecordings: record('getRecordings', () => []),
      getSipCalls: record('getSipCalls', () => []),
      updateStreamingOut: record('updateStreamingOut', (_r, id) => byId(id as string, [{ id: 'o1' }])),
      deleteStreamingOut: record('deleteStreamingOut', (_r, id) => void byId(id as string, [{ id: 'o1' }])),
      updateRecording: record('updateRecording', (_r, id) => byId(id as string, [{ id: 'r1' }])),
      deleteRecording: record('deleteRecording', (_r, id) => void byId(id as string, [{ id: 'r1' }])),
      updateSipCall: record('updateSipCall', (_r, id) => byId(id as string, [{ id: 'c1' }])),
      addStreamingIn: record('addStreamingIn', () => ({ id: 'in1' })),
      addStreamingOut: record('addStreamingOut', () => ({ id: 'o2' })),
      addRecording: record('addRecording', () => ({ id: 'r2' })),
      // deleteSipCall deliberately missing: a conference without it answers 501.
    });
  });
  after(async () => {
    await h?.close();
  });

  it('a room that is not live: lists are empty, single items 404 (asked of the real cluster manager)', async () => {
    const c = h.client();
    for (const list of ['participants', 'streams', 'streaming-outs', 'recordings', 'sipcalls']) {
      const res = await c.request('GET', `${R(idle)}/${list}`);
      assert.equal(res.status, 200, list);
      assert.deepEqual(res.json, [], list);
    }
    const items: Array<[string, string, unknown]> = [
      ['GET', 'participants/p1', undefined],
      ['PATCH', 'participants/p1', PARTICIPANT_PATCH],
      ['DELETE', 'participants/p1', undefined],
      ['GET', 'streams/s1', undefined],
      ['PATCH', 'streams/s1', STREAM_PATCH],
      ['DELETE', 'streams/s1', undefined],
      ['DELETE', 'streaming-ins/s1', undefined],
      ['PATCH', 'streaming-outs/o1', OUTPUT_PATCH],
      ['DELETE', 'streaming-outs/o1', undefined],
      ['PATCH', 'recordings/r1', OUTPUT_PATCH],
      ['DELETE', 'recordings/r1', undefined],
      ['PATCH', 'sipcalls/c1', OUTPUT_PATCH],
      ['DELETE', 'sipcalls/c1', undefined],
    ];
    for (const [method, path, body] of items) {
      const res = await c.request(method, `${R(idle)}/${path}`, body);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(String((res.json as Json).error?.message), /not live/);
    }
  });

  it('unknown room: every live endpoint is 404 before asking anyone', async () => {
    const c = h.client();
    const unknown = 'ffffffffffffffffffffffff';
    for (const [method, path] of [
      ['GET', 'participants'],
      ['GET', 'participants/p1'],
      ['GET', 'streams'],
      ['PATCH', 'streams/s1'],
      ['POST', 'streaming-ins'],
      ['GET', 'recordings'],
      ['POST', 'tokens'],
    ] as const) {
      const res = await c.request(method, `${R(unknown)}/${path}`, method === 'GET' ? undefined : {});
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  });

  it('a live room: the conference node answers, with the validated body and the room id', async () => {
    const c = h.client();
    calls.length = 0;
    assert.deepEqual((await c.request('GET', `${R(live)}/participants`)).json, [participant]);
    assert.deepEqual((await c.request('GET', `${R(live)}/participants/p1`)).json, participant);
    assert.equal((await c.request('PATCH', `${R(live)}/participants/p1`, PARTICIPANT_PATCH)).status, 200);
    assert.equal((await c.request('DELETE', `${R(live)}/participants/p1`)).status, 200);
    assert.deepEqual((await c.request('GET', `${R(live)}/streams`)).json, [stream]);
    assert.equal((await c.request('PATCH', `${R(live)}/streams/s1`, STREAM_PATCH)).status, 200);
    assert.equal((await c.request('DELETE', `${R(live)}/streams/s1`)).status, 200);
    assert.equal((await c.request('DELETE', `${R(live)}/streaming-ins/s1`)).status, 200);
    assert.deepEqual(
      calls.map((x) => x.method),
      [
        'getParticipants',
        'getParticipant',
        'updateParticipant',
        'dropParticipant',
        'getStreams',
        'updateStream',
        'deleteStream',
        'deleteStream',
      ],
    );
    assert.ok(calls.every((x) => x.args[0] === live));
    assert.deepEqual(calls[2]?.args, [live, 'p1', PARTICIPANT_PATCH]);
    assert.deepEqual(calls[5]?.args, [live, 's1', STREAM_PATCH]);
  });

  it('a live room: outputs are listed, patched and deleted by the conference', async () => {
    const c = h.client();
    calls.length = 0;
    for (const list of ['streaming-outs', 'recordings', 'sipcalls']) {
      assert.deepEqual((await c.request('GET', `${R(live)}/${list}`)).json, [], list);
    }
    assert.deepEqual((await c.request('PATCH', `${R(live)}/streaming-outs/o1`, OUTPUT_PATCH)).json, {
      id: 'o1',
    });
    assert.equal((await c.request('DELETE', `${R(live)}/streaming-outs/o1`)).status, 200);
    assert.deepEqual((await c.request('PATCH', `${R(live)}/recordings/r1`, OUTPUT_PATCH)).json, { id: 'r1' });
    assert.equal((await c.request('DELETE', `${R(live)}/recordings/r1`)).status, 200);
    assert.deepEqual((await c.request('PATCH', `${R(live)}/sipcalls/c1`, OUTPUT_PATCH)).json, { id: 'c1' });
    assert.deepEqual(
      calls.map((x) => x.method),
      [
        'getStreamingOuts',
        'getRecordings',
        'getSipCalls',
        'updateStreamingOut',
        'deleteStreamingOut',
        'updateRecording',
        'deleteRecording',
        'updateSipCall',
      ],
    );
    assert.deepEqual(calls[3]?.args, [live, 'o1', OUTPUT_PATCH]);
  });

  it('a method the conference node does not implement yet answers 501, not 500', async () => {
    const res = await h.client().request('DELETE', `${R(live)}/sipcalls/c1`);
    assert.equal(res.status, 501);
    assert.match(String((res.json as Json).error?.message), /deleteSipCall/);
  });

  it('a live room: ids the conference does not know are 404', async () => {
    const c = h.client();
    assert.equal((await c.request('GET', `${R(live)}/participants/nobody`)).status, 404);
    assert.equal((await c.request('PATCH', `${R(live)}/streams/nostream`, STREAM_PATCH)).status, 404);
    assert.equal((await c.request('PATCH', `${R(live)}/streaming-outs/o9`, OUTPUT_PATCH)).status, 404);
    assert.equal((await c.request('DELETE', `${R(live)}/recordings/r9`)).status, 404);
  });

  it('bad PATCH bodies are 400 naming the field, and never reach the conference', async () => {
    const c = h.client();
    calls.length = 0;
    const cases: Array<[string, unknown, RegExp]> = [
      ['participants/p1', [{ op: 'replace', path: '/permission/publish/audio', value: 'yes' }], /body\.0/],
      ['participants/p1', [], /body/],
      ['participants/p1', { op: 'replace' }, /body/],
      ['streams/s1', [{ op: 'replace', path: '/media/audio/status', value: 'loud' }], /body\.0/],
      ['streams/s1', [{ op: 'add', path: '/info/inViews' }], /body\.0/],
      ['streaming-outs/o1', [{ op: 'remove', path: '/media/audio' }], /body\.0/],
    ];
    for (const [path, body, pattern] of cases) {
      const res = await c.request('PATCH', `${R(live)}/${path}`, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.match(String((res.json as Json).error?.message), pattern);
    }
    assert.equal(calls.length, 0);
  });

  it('creating streaming-ins, streaming-outs and recordings goes to the conference with the validated body; sip calls 501', async () => {
    const c = h.client();
    const media = { audio: { from: 's1' }, video: { from: 's1' } };
    const streamingIn = {
      connection: { url: 'rtsp://127.0.0.1:8554/cam' },
      media: { audio: 'auto', video: true },
    };
    const cases: Array<[string, unknown, string, unknown]> = [
      [
        'streaming-ins',
        streamingIn,
        'addStreamingIn',
        {
          ...streamingIn,
          connection: { ...streamingIn.connection, transportProtocol: 'tcp', bufferSize: 8192 },
        },
      ],
      [
        'streaming-outs',
        { protocol: 'rtmp', url: 'rtmp://127.0.0.1/live/x', media },
        'addStreamingOut',
        undefined,
      ],
      ['recordings', { media }, 'addRecording', { container: 'auto', media }],
    ];
    for (const [path, body, method, validated] of cases) {
      calls.length = 0;
      const res = await c.request('POST', `${R(live)}/${path}`, body);
      assert.equal(res.status, 200, path);
      assert.equal(calls[0]?.method, method);
      assert.deepEqual(calls[0]?.args, [live, validated ?? body]);
      const bad = await c.request('POST', `${R(live)}/${path}`, { nonsense: true });
      assert.equal(bad.status, 400, `${path} bad body`);
    }
    // Outputs need a stream of a live room.
    for (const [path, body] of cases.slice(1)) {
      const res = await c.request('POST', `${R(idle)}/${path}`, body);
      assert.equal(res.status, 404, path);
      assert.match(String((res.json as Json).error?.message), /not live/);
    }
    const sip = { peerURI: 'sip:bob@127.0.0.1', mediaIn: { audio: true, video: false }, mediaOut: media };
    for (const room of [idle, live]) {
      const res = await c.request('POST', `${R(room)}/sipcalls`, sip);
      assert.equal(res.status, 501);
      assert.equal((res.json as Json).error?.code, 'NOT_IMPLEMENTED');
      assert.match(String((res.json as Json).error?.message), /SIP/);
    }
  });

  it('a conference agent that is gone means not live', async () => {
    const c = h.client();
    const orphan = ((await c.request('POST', '/v1/rooms', { name: 'orphan' })).json as { _id: string })._id;
    // Scheduled on an agent nobody serves: the agent is gone, so is the conference.
    await h.bus.call('cluster-manager', 'join', [
      { id: 'ghost-agent', purpose: 'conference', capacity: { isps: [], regions: [] }, maxLoad: 1 },
    ]);
    await h.bus.call('cluster-manager', 'setState', ['conference-agent-test', 'draining']);
    await h.bus.call('cluster-manager', 'schedule', ['conference', orphan, {}]);
    await h.bus.call('cluster-manager', 'setState', ['conference-agent-test', 'in-service']);
    assert.equal(await h.bus.call('cluster-manager', 'getScheduled', ['conference', orphan]), 'ghost-agent');
    assert.deepEqual((await c.request('GET', `${R(orphan)}/streams`)).json, []);
    assert.equal((await c.request('GET', `${R(orphan)}/streams/s1`)).status, 404);
  });
});

describe('management API: cluster manager unreachable', () => {
  let h: ApiHarness;
  before(async () => {
    h = await ApiHarness.start({ clusterManager: false, config: { rpcTimeoutMs: 500 } });
  });
  after(async () => {
    await h?.close();
  });

  it('live state answers 503, never a made-up empty list; room updates are refused before saving', async () => {
    const c = h.client();
    const room = (await c.request('POST', '/v1/rooms', { name: 'r' })).json as {
      _id: string;
      inputLimit: number;
    };
    const list = await c.request('GET', `${R(room._id)}/participants`);
    assert.equal(list.status, 503);
    assert.equal((list.json as Json).error?.code, 'UNAVAILABLE');
    assert.equal((await c.request('GET', `${R(room._id)}/streams/s1`)).status, 503);
    assert.equal((await c.request('PUT', R(room._id), { inputLimit: 9 })).status, 503);
    assert.equal(((await c.request('GET', R(room._id))).json as { inputLimit: number }).inputLimit, -1);
    const token = await c.request('POST', `${R(room._id)}/tokens`, { user: 'u', role: 'presenter' });
    assert.equal(token.status, 503);
    assert.match(String((token.json as Json).error?.message), /portal/);
  });
});
