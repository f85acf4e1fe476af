import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'socket.io-client';
import { waitUntil } from '../support/wait-until.js';
import { type LoginResult, nextEvent, PortalHarness, request } from './portal-harness.js';

describe('portal: requests relayed to the conference node', () => {
  let h: PortalHarness;
  let socket: Socket;
  let me: LoginResult;
  const room = 'room-requests';
  before(async () => {
    h = await PortalHarness.start();
    ({ socket, result: me } = await h.login({ room }));
  });
  after(async () => {
    await h?.close();
  });

  const lastCall = (method: string): unknown[] => {
    const call = h.conference.callsOf(method).at(-1);
    assert.ok(call, `${method} reached the conference node`);
    return call.args;
  };

  it('publish: the portal names the session; a new transport takes its id', async () => {
    const publication = {
      media: {
        tracks: [
          { type: 'video', mid: '0', source: 'camera' },
          { type: 'audio', mid: '1', source: 'mic' },
        ],
      },
      attributes: { label: 'cam' },
      transport: { type: 'webrtc' },
    };
    const [status, result] = await request(socket, 'publish', publication);
    assert.equal(status, 'ok', String(result));
    const { id, transportId } = result as { id: string; transportId: string };
    assert.match(id, /^[0-9a-f]{24}$/);
    assert.equal(transportId, id);
    const [roomId, participantId, sessionId, options] = lastCall('publish');
    assert.equal(roomId, room);
    assert.equal(participantId, me.id);
    assert.equal(sessionId, id);
    assert.deepEqual(options, { ...publication, transport: { type: 'webrtc' } });

    // A later publication on the same transport.
    const [status2, result2] = await request(socket, 'publish', {
      ...publication,
      transport: { type: 'webrtc', id },
    });
    assert.equal(status2, 'ok');
    assert.equal((result2 as { transportId: string }).transportId, id);
    assert.notEqual((result2 as { id: string }).id, id);
  });

  it('subscribe, unsubscribe, unpublish', async () => {
    const subscription = {
      media: {
        tracks: [
          {
            type: 'video',
            mid: '2',
            from: 'stream-1',
            parameters: {
              resolution: { width: 640, height: 480 },
              framerate: 30,
              bitrate: 'x0.8',
              keyFrameInterval: 2,
            },
          },
        ],
      },
      transport: { type: 'webrtc', id: 'transport-1' },
    };
    let [status, result] = await request(socket, 'subscribe', subscription);
    assert.equal(status, 'ok', String(result));
    const sub = result as { id: string; transportId: string };
    assert.equal(sub.transportId, 'transport-1');
    assert.deepEqual(lastCall('subscribe'), [room, me.id, sub.id, subscription]);

    [status] = await request(socket, 'unsubscribe', { id: sub.id });
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('unsubscribe'), [room, me.id, sub.id]);

    [status] = await request(socket, 'unpublish', { id: 'pub-1' });
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('unpublish'), [room, me.id, 'pub-1']);
  });

  it('stream-control and subscription-control', async () => {
    let [status, result] = await request(socket, 'stream-control', {
      id: 'pub-1',
      operation: 'pause',
      data: 'video',
    });
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('streamControl'), [
      room,
      me.id,
      'pub-1',
      { operation: 'pause', data: 'video' },
    ]);

    [status, result] = await request(socket, 'stream-control', {
      id: 'pub-1',
      operation: 'get-region',
      data: 'common',
    });
    assert.equal(status, 'ok');
    assert.deepEqual(result, { region: 'r1' });

    const update = {
      id: 'sub-1',
      operation: 'update',
      data: { video: { parameters: { resolution: { width: 320, height: 240 } } } },
    };
    [status] = await request(socket, 'subscription-control', update);
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('subscriptionControl'), [
      room,
      me.id,
      'sub-1',
      { operation: 'update', data: update.data },
    ]);

    [status] = await request(socket, 'subscription-control', { id: 'sub-1', operation: 'play', data: 'av' });
    assert.equal(status, 'ok');
  });

  it('soac: offers and a=candidate lines go to the conference as transport signaling', async () => {
    const offer = { type: 'offer', sdp: 'v=0\r\n' };
    let [status] = await request(socket, 'soac', { id: 'transport-1', signaling: offer });
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('onTransportSignaling'), [room, me.id, 'transport-1', offer]);
    const candidate = {
      type: 'candidate',
      candidate: {
        candidate: 'a=candidate:1 1 udp 1 127.0.0.1 5000 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      },
    };
    [status] = await request(socket, 'soac', { id: 'transport-1', signaling: candidate });
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('onTransportSignaling'), [room, me.id, 'transport-1', candidate]);
  });

  it('text', async () => {
    const [status] = await request(socket, 'text', { to: 'all', message: 'hello' });
    assert.equal(status, 'ok');
    assert.deepEqual(lastCall('text'), [room, me.id, 'all', 'hello']);
  });

  it('malformed and unknown messages get an error ack and the session carries on', async () => {
    const callsBefore = h.conference.calls.length;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['bogus', [{}], /unknown request 'bogus'/],
      [
        'publish',
        [{ media: { tracks: [] }, transport: { type: 'webrtc' } }],
        /invalid message: media\.tracks/,
      ],
      [
        'publish',
        [{ media: { tracks: [{ type: 'video', source: 'webcam' }] }, transport: { type: 'webrtc' } }],
        /source/,
      ],
      ['publish', ['nonsense'], /invalid message/],
      ['subscribe', [{ media: { tracks: [{ type: 'video' }] }, transport: { type: 'webrtc' } }], /from/],
      ['unpublish', [{}], /invalid message: id/],
      ['unsubscribe', [{ id: 5 }], /invalid message: id/],
      ['text', [{ to: 5, message: 'x' }], /invalid message: to/],
      ['text', [{ to: 'all', message: 'x'.repeat(3000) }], /message/],
      ['stream-control', [{ id: 's', operation: 'explode', data: 'video' }], /operation/],
      ['stream-control', [{ id: 's', operation: 'pause', data: 'smell' }], /data/],
      ['subscription-control', [{ id: 's', operation: 'querybwe' }], /operation/],
      ['soac', [{ id: 't', signaling: { type: 'pranswer', sdp: 'x' } }], /signaling/],
      ['soac', [{ id: 't' }], /signaling/],
      ['relogin', [{}], /invalid message/],
      ['login', [null], /invalid message/],
    ];
    for (const [name, args, pattern] of cases) {
      const [status, reason] = await request(socket, name, ...args);
      assert.equal(status, 'error', `${name} ${JSON.stringify(args)}`);
      assert.match(String(reason), pattern, `${name} ${JSON.stringify(args)}`);
    }
    assert.equal(h.conference.calls.length, callsBefore, 'nothing malformed reached the conference');
    // Emitted without an ack: ignored without harm.
    socket.emit('bogus-no-ack', { x: 1 });
    socket.emit('text');
    const [status] = await request(socket, 'text', { to: 'all', message: 'still here' });
    assert.equal(status, 'ok');
  });

  it('requests before login are refused', async () => {
    const other = await h.connect();
    for (const name of ['publish', 'text', 'logout', 'refreshReconnectionTicket', 'soac']) {
      const args =
        name === 'text'
          ? [{ to: 'all', message: 'x' }]
          : name === 'publish'
            ? [{ media: { tracks: [{ type: 'audio', source: 'mic' }] }, transport: { type: 'webrtc' } }]
            : name === 'soac'
              ? [{ id: 't', signaling: { type: 'offer', sdp: 'v=0' } }]
              : [];
      const [status, reason] = await request(other, name, ...args);
      assert.equal(status, 'error', name);
      assert.match(String(reason), /not logged in/, name);
    }
  });

  it('conference errors come back as error acks', async () => {
    const [status, reason] = await request(socket, 'stream-control', {
      id: 'x',
      operation: 'mix',
      data: 'common',
    });
    assert.equal(status, 'ok', String(reason));
    await h.conference.stopNode();
    const dropped = nextEvent(socket, 'drop');
    const [status2, reason2] = await request(socket, 'text', { to: 'all', message: 'gone?' });
    assert.equal(status2, 'error');
    assert.match(String(reason2), /no longer available/);
    // The room's node is unreachable: the client is dropped.
    await dropped;
    await waitUntil(() => !socket.connected, 5000, 'socket closed after drop');
  });
});
