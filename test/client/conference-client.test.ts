import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { waitUntil } from '../support/wait-until.js';
import { CANDIDATE, FakePeerConnection, fakeStream } from './fake-peer-connection.js';
import { FakePortal } from './fake-portal.js';
import { loadSdk, type SdkClient, type SdkModule } from './sdk-loader.js';

let sdk: SdkModule;
let unload: () => Promise<void>;

before(async () => {
  ({ sdk, cleanup: unload } = await loadSdk());
});
after(async () => {
  await unload?.();
});

interface Harness {
  portal: FakePortal;
  client: SdkClient;
  pcs: FakePeerConnection[];
  log: string[];
  newClient(options?: Record<string, unknown>): SdkClient;
}

async function setup(t: TestContext, options: Record<string, unknown> = {}): Promise<Harness> {
  const portal = await FakePortal.start();
  const pcs: FakePeerConnection[] = [];
  const log: string[] = [];
  const clients: SdkClient[] = [];
  const newClient = (extra: Record<string, unknown> = {}) => {
    const client = new sdk.ConferenceClient({
      createPeerConnection: (configuration: unknown) => {
        const pc = new FakePeerConnection(configuration, log);
        pcs.push(pc);
        return pc;
      },
      reconnectionDelayMs: 100,
      reconnectionDelayMaxMs: 200,
      requestTimeoutMs: 3_000,
      ...options,
      ...extra,
    });
    clients.push(client);
    return client;
  };
  t.after(async () => {
    for (const client of clients) await client.leave().catch(() => undefined);
    await portal.close();
  });
  return { portal, client: newClient(), pcs, log, newClient };
}

describe('tokens and SDP helpers', () => {
  test('decodes an OWT token and derives the portal URL', () => {
    const token = Buffer.from(
      JSON.stringify({ tokenId: 'a', host: 'example.org:8080', secure: true, signature: 's' }),
    ).toString('base64');
    const decoded = sdk.decodeToken(token);
    assert.equal(decoded.host, 'example.org:8080');
    assert.equal(sdk.portalUrl(decoded), 'https://example.org:8080');
    assert.equal(sdk.portalUrl({ host: '10.0.0.1:3004', secure: false }), 'http://10.0.0.1:3004');
    assert.equal(sdk.portalUrl({ host: 'http://h:1', secure: true }), 'http://h:1');
    assert.throws(() => sdk.decodeToken('not base64 json!'), { name: 'InvalidTokenError' });
  });

  test('reorders codecs of one m-section only and prefixes candidates', () => {
    const sdp = [
      'v=0',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111 0',
      'a=rtpmap:111 opus/48000/2',
      'a=mid:0',
      'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102',
      'a=rtpmap:96 VP8/90000',
      'a=rtpmap:97 rtx/90000',
      'a=rtpmap:102 H264/90000',
      'a=mid:1',
      '',
    ].join('\r\n');
    const edited = sdk.reorderCodecs(sdp, 1, ['H264']);
    assert.match(edited, /m=video 9 UDP\/TLS\/RTP\/SAVPF 102 96 97\r\n/);
    assert.match(edited, /m=audio 9 UDP\/TLS\/RTP\/SAVPF 111 0\r\n/);
    assert.deepEqual(sdk.sdpMids(edited), ['0', '1']);
    assert.equal(sdk.reorderCodecs(sdp, 1, ['av1']), sdp);
    assert.equal(sdk.candidateLine('candidate:1 1 udp 1 h 1 typ host'), 'a=candidate:1 1 udp 1 h 1 typ host');
    assert.equal(sdk.candidateLine('a=candidate:x'), 'a=candidate:x');
  });
});

describe('login', () => {
  test('sends the 1.2 login shape and exposes the room', async (t) => {
    const { portal, client } = await setup(t);
    portal.streams = [
      {
        id: 'stream-a',
        type: 'forward',
        media: {
          tracks: [
            { id: 'ta', type: 'audio', source: 'mic', format: { codec: 'opus' }, status: 'active' },
            {
              id: 'tv-q',
              type: 'video',
              source: 'camera',
              rid: 'q',
              parameters: { resolution: { width: 320, height: 180 } },
            },
            {
              id: 'tv-f',
              type: 'video',
              source: 'camera',
              rid: 'f',
              parameters: { resolution: { width: 1280, height: 720 } },
            },
          ],
        },
        info: { owner: 'someone', type: 'webrtc', inViews: [], attributes: { a: 1 } },
      },
    ];
    const token = portal.token();
    const info = await client.join(token);
    const [login] = portal.requests('login');
    assert.deepEqual(login.data, {
      token,
      userAgent: { sdk: { type: 'JavaScript', version: '5.1' } },
      protocol: '1.2',
    });
    assert.equal(info.id, 'room-1');
    assert.equal(info.self.id, login.participant);
    assert.deepEqual(
      info.participants.map((p) => p.id),
      [info.self.id],
    );
    assert.equal(info.remoteStreams.length, 1);
    const [stream] = info.remoteStreams;
    assert.equal(stream.origin, 'someone');
    assert.ok(stream.hasAudio && stream.hasVideo);
    assert.deepEqual(
      stream.layers.map((l) => [l.rid, l.trackId]),
      [
        ['q', 'tv-q'],
        ['f', 'tv-f'],
      ],
    );
    assert.equal(sdk.decodeTicket(client.reconnectionTicket ?? '').participantId, info.self.id);
  });

  test('a refused login rejects join with the reason', async (t) => {
    const { portal, client, newClient } = await setup(t);
    const token = portal.token();
    await client.join(token);
    await assert.rejects(newClient().join(token), { name: 'RequestRejectedError', message: /invalid token/ });
  });
});

describe('publish and subscribe on one peer connection', () => {
  test('first publish creates the transport; later operations reuse it; candidates trickle after the answer', async (t) => {
    const { portal, client, pcs } = await setup(t);
    await client.join(portal.token());
    const publication = await client.publish(fakeStream(['audio', 'video']), {
      attributes: { label: 'cam' },
    });

    const [publish] = portal.requests('publish');
    assert.deepEqual(publish.data, {
      media: {
        tracks: [
          { type: 'audio', mid: '0', source: 'mic' },
          { type: 'video', mid: '1', source: 'camera' },
        ],
      },
      transport: { type: 'webrtc' },
      attributes: { label: 'cam' },
    });
    assert.equal(
      client.transportId,
      publication.id,
      'a new transport takes the id of the request that made it',
    );
    await waitUntil(() => portal.journal.includes('recv soac:candidate'), 2_000, 'a trickled candidate');
    const soac = portal.requests('soac');
    assert.deepEqual(
      soac.map((r) => (r.data as { signaling: { type: string } }).signaling.type),
      ['offer', 'candidate'],
    );
    assert.deepEqual(soac[1].data, {
      id: publication.id,
      signaling: {
        type: 'candidate',
        candidate: { candidate: `a=${CANDIDATE}`, sdpMid: '0', sdpMLineIndex: 0 },
      },
    });
    // The candidate was gathered before the answer but only sent after it.
    assert.ok(
      portal.journal.indexOf('recv soac:candidate') > portal.journal.indexOf('send progress:soac'),
      portal.journal.join('\n'),
    );

    const stream = await waitForStream(portal, client, publication.id);
    const subscription = await client.subscribe(stream, {
      video: { resolution: { width: 640, height: 360 }, bitrateMultiplier: 0.8, frameRate: 15 },
    });
    const [subscribe] = portal.requests('subscribe');
    assert.deepEqual(subscribe.data, {
      media: {
        tracks: [
          { type: 'audio', mid: '2', from: publication.id },
          {
            type: 'video',
            mid: '3',
            from: publication.id,
            parameters: { resolution: { width: 640, height: 360 }, framerate: 15, bitrate: 'x0.8' },
          },
        ],
      },
      transport: { type: 'webrtc', id: publication.id },
    });
    assert.notEqual(subscription.id, publication.id);
    assert.equal(pcs.length, 1, 'one peer connection for everything');
    const offers = portal
      .requests('soac')
      .filter((r) => (r.data as { signaling: { type: string } }).signaling.type === 'offer');
    assert.equal(offers.length, 2);
    for (const offer of offers) assert.equal((offer.data as { id: string }).id, publication.id);
    const secondOffer = (offers[1].data as { signaling: { sdp: string } }).signaling.sdp;
    assert.deepEqual(sdk.sdpMids(secondOffer), ['0', '1', '2', '3'], 're-offer repeats the old m-lines');
    assert.equal(
      portal
        .requests('soac')
        .filter((r) => (r.data as { signaling: { type: string } }).signaling.type === 'candidate').length,
      1,
      'a candidate is sent once',
    );
  });

  test('concurrent operations negotiate one at a time', async (t) => {
    const { portal, client, log } = await setup(t);
    portal.behaviour.answerDelayMs = 80;
    await client.join(portal.token());
    portal.streams = [];
    const publishing = client.publish(fakeStream(['video']));
    const publishing2 = client.publish(fakeStream(['audio']), { video: false });
    const [first, second] = await Promise.all([publishing, publishing2]);
    const negotiation = log.filter((l) => /^(createOffer|setLocalDescription|setRemoteDescription)/.test(l));
    assert.deepEqual(negotiation, [
      'createOffer',
      'setLocalDescription offer',
      'setRemoteDescription answer',
      'createOffer',
      'setLocalDescription offer',
      'setRemoteDescription answer',
    ]);
    const publishes = portal.requests('publish').map((r) => r.data as { transport: { id?: string } });
    assert.equal(publishes[0].transport.id, undefined);
    assert.equal(publishes[1].transport.id, first.id);
    assert.notEqual(second.id, first.id);
  });

  test('codec preference and simulcast layers shape the offer', async (t) => {
    const { portal, client, pcs } = await setup(t);
    await client.join(portal.token());
    await client.publish(fakeStream(['video']), {
      video: { codecs: ['h264', 'vp8'], simulcast: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'f' }] },
    });
    const [offer] = portal.requests('soac');
    const sdp = (offer.data as { signaling: { sdp: string } }).signaling.sdp;
    assert.match(sdp, /m=video 9 UDP\/TLS\/RTP\/SAVPF 102 96 97 98\r\n/);
    assert.match(sdp, /a=rid:q send/);
    const [transceiver] = pcs[0].transceivers;
    assert.equal(transceiver.direction, 'sendonly');
    assert.deepEqual(
      transceiver.init.sendEncodings?.map((e) => [e.rid, e.scaleResolutionDownBy]),
      [
        ['q', 4],
        ['f', undefined],
      ],
    );
  });

  test('a rid subscription names the layer track; update and mute use subscription-control', async (t) => {
    const { portal, client } = await setup(t);
    portal.streams = [
      {
        id: 'sim',
        type: 'forward',
        media: {
          tracks: [
            { id: 'sim-q', type: 'video', source: 'camera', rid: 'q' },
            { id: 'sim-f', type: 'video', source: 'camera', rid: 'f' },
          ],
        },
        info: { owner: 'x', type: 'webrtc', inViews: [], attributes: {} },
      },
    ];
    const info = await client.join(portal.token());
    const subscription = await client.subscribe(info.remoteStreams[0], { video: { rid: 'q' } });
    const [subscribe] = portal.requests('subscribe');
    assert.deepEqual((subscribe.data as { media: unknown }).media, {
      tracks: [{ type: 'video', mid: '0', from: 'sim-q' }],
    });
    await subscription.applyOptions({ video: { rid: 'f' } });
    await subscription.mute('video');
    await subscription.unmute();
    assert.deepEqual(
      portal.requests('subscription-control').map((r) => r.data),
      [
        { id: subscription.id, operation: 'update', data: { video: { from: 'sim-f' } } },
        { id: subscription.id, operation: 'pause', data: 'video' },
        { id: subscription.id, operation: 'play', data: 'av' },
      ],
    );
    await subscription.stop();
    assert.deepEqual(portal.requests('unsubscribe').at(-1)?.data, { id: subscription.id });
    assert.equal(subscription.ended, true);
  });

  test('publication mute/unmute/stop use stream-control and unpublish', async (t) => {
    const { portal, client, pcs } = await setup(t);
    await client.join(portal.token());
    const publication = await client.publish(fakeStream(['audio', 'video']));
    await publication.mute('audio');
    await publication.unmute('audio');
    let ended = 0;
    publication.on('ended', () => ended++);
    await publication.stop();
    assert.deepEqual(
      portal.requests('stream-control').map((r) => r.data),
      [
        { id: publication.id, operation: 'pause', data: 'audio' },
        { id: publication.id, operation: 'play', data: 'audio' },
      ],
    );
    assert.deepEqual(portal.requests('unpublish')[0].data, { id: publication.id });
    assert.equal(ended, 1);
    assert.ok(
      pcs[0].transceivers.every((tr) => tr.sender.track === null && !tr.stopped),
      'no renegotiation: tracks detached, m-lines kept',
    );
  });
});

describe('progress routing and failures', () => {
  test('ready for another transport does not resolve a publication; it times out and is unpublished', async (t) => {
    const { portal, client } = await setup(t, { readyTimeoutMs: 400 });
    portal.behaviour.ready = 'wrong-transport';
    await client.join(portal.token());
    await assert.rejects(client.publish(fakeStream(['video'])), { name: 'ConferenceTimeoutError' });
    assert.equal(portal.requests('unpublish').length, 1);
  });

  test('progress error with the session id fails the publication', async (t) => {
    const { portal, client } = await setup(t);
    portal.behaviour.ready = 'error';
    await client.join(portal.token());
    await assert.rejects(client.publish(fakeStream(['video'])), {
      name: 'TransportError',
      message: /media failed/,
    });
  });

  test('a rejected request rolls back; the next operation still works on the same transport', async (t) => {
    const { portal, client, pcs, log } = await setup(t);
    await client.join(portal.token());
    portal.behaviour.rejectSessions = 'permission denied';
    await assert.rejects(client.publish(fakeStream(['video'])), {
      name: 'RequestRejectedError',
      message: /permission denied/,
    });
    assert.ok(log.includes('setLocalDescription rollback'));
    assert.ok(pcs[0].transceivers[0].stopped);
    portal.behaviour.rejectSessions = undefined;
    const publication = await client.publish(fakeStream(['audio']));
    assert.equal(pcs.length, 1);
    const [publish] = portal.requests('publish').slice(-1);
    assert.deepEqual((publish.data as { media: unknown }).media, {
      tracks: [{ type: 'audio', mid: '0', source: 'mic' }],
    });
    assert.equal(client.transportId, publication.id);
  });

  test('no answer in time rejects with a timeout; an unusable answer with a transport error', async (t) => {
    const { portal, client } = await setup(t, { answerTimeoutMs: 300 });
    await client.join(portal.token());
    portal.behaviour.answer = 'none';
    await assert.rejects(client.publish(fakeStream(['video'])), { name: 'ConferenceTimeoutError' });
    portal.behaviour.answer = 'bad';
    await assert.rejects(client.publish(fakeStream(['video'])), { name: 'TransportError' });
  });

  test('a failed peer connection ends its sessions and the next publish starts a new transport', async (t) => {
    const { portal, client, pcs } = await setup(t);
    await client.join(portal.token());
    const publication = await client.publish(fakeStream(['video']));
    const errors: Error[] = [];
    publication.on('error', ({ error }) => error && errors.push(error));
    pcs[0].fail();
    assert.equal(publication.ended, true);
    assert.equal(errors[0]?.name, 'TransportError');
    assert.ok(pcs[0].closed);
    const next = await client.publish(fakeStream(['video']));
    assert.equal(pcs.length, 2);
    assert.equal(client.transportId, next.id);
    const last = portal.requests('publish').at(-1)?.data as { transport: { id?: string } };
    assert.equal(last.transport.id, undefined);
  });
});

describe('transport-level progress', () => {
  test('progress error without a session id fails the transport and its sessions', async (t) => {
    const { portal, client, pcs } = await setup(t);
    const info = await client.join(portal.token());
    const publication = await client.publish(fakeStream(['video']));
    const errors: string[] = [];
    publication.on('error', ({ error }) => errors.push(error?.message ?? ''));
    // A progress naming neither this transport nor one of its sessions changes nothing.
    portal.notify(info.self.id, 'progress', { id: 'elsewhere', status: 'error', data: 'not yours' });
    portal.notify(info.self.id, 'progress', {
      id: publication.id,
      status: 'error',
      data: 'webrtc node lost',
    });
    await waitUntil(() => publication.ended, 2_000, 'publication ended');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /webrtc node lost/);
    assert.ok(pcs[0].closed);
    assert.equal(client.transportId, undefined);
  });
});

describe('room events', () => {
  test('participants, streams, updates and text become events', async (t) => {
    const { portal, client, newClient } = await setup(t);
    const info = await client.join(portal.token());
    const joined: string[] = [];
    const left: string[] = [];
    client.on('participantjoined', ({ participant }) => joined.push(participant.id));
    client.on('participantleft', ({ participant }) => left.push(participant.id));
    const other = newClient();
    const otherInfo = await other.join(portal.token());
    await waitUntil(() => joined.length === 1, 2_000, 'participantjoined');
    assert.deepEqual(joined, [otherInfo.self.id]);

    const added: string[] = [];
    const removed: string[] = [];
    client.on('streamadded', ({ stream }) => added.push(stream.id));
    client.on('streamremoved', ({ stream }) => removed.push(stream.id));
    portal.notify(info.self.id, 'stream', {
      id: 's1',
      status: 'add',
      data: {
        id: 's1',
        type: 'forward',
        media: {
          tracks: [
            { id: 'a', type: 'audio', source: 'mic', status: 'active' },
            { id: 'v', type: 'video', source: 'camera' },
          ],
        },
        info: { owner: otherInfo.self.id, type: 'webrtc', inViews: [], attributes: {} },
      },
    });
    await waitUntil(() => added.length === 1, 2_000, 'streamadded');
    const stream = client.remoteStreams.find((s) => s.id === 's1');
    assert.ok(stream);
    const subscription = await client.subscribe(stream);
    const streamEvents: string[] = [];
    stream.on('mute', ({ kind }) => streamEvents.push(`mute ${kind}`));
    stream.on('ended', () => streamEvents.push('ended'));
    subscription.on('ended', () => streamEvents.push('subscription ended'));
    portal.notify(info.self.id, 'stream', {
      id: 's1',
      status: 'update',
      data: { field: 'audio.status', value: 'inactive' },
    });
    await waitUntil(() => streamEvents.length === 1, 2_000, 'stream mute');
    assert.equal(stream.isMuted('audio'), true);
    portal.notify(info.self.id, 'stream', { id: 's1', status: 'remove' });
    await waitUntil(() => removed.length === 1, 2_000, 'streamremoved');
    assert.deepEqual(streamEvents, ['mute audio', 'subscription ended', 'ended']);
    assert.equal(client.remoteStreams.length, 0);

    const messages: string[] = [];
    client.on('messagereceived', ({ message, origin, to }) => messages.push(`${origin}->${to}: ${message}`));
    await other.send('hello');
    await waitUntil(() => messages.length === 1, 2_000, 'messagereceived');
    assert.deepEqual(messages, [`${otherInfo.self.id}->all: hello`]);
    assert.deepEqual(portal.requests('text')[0].data, { to: 'all', message: 'hello' });

    portal.notify(info.self.id, 'participant', { action: 'leave', data: otherInfo.self.id });
    await waitUntil(() => left.length === 1, 2_000, 'participantleft');
    assert.equal(client.participants.length, 1);
  });

  test('leave logs out; drop fires serverdisconnected and ends publications', async (t) => {
    const { portal, client, newClient } = await setup(t);
    await client.join(portal.token());
    await client.leave();
    assert.equal(portal.requests('logout').length, 1);

    const other = newClient();
    const info = await other.join(portal.token());
    const publication = await other.publish(fakeStream(['video']));
    const reasons: string[] = [];
    other.on('serverdisconnected', ({ reason }) => reasons.push(reason));
    portal.drop(info.self.id);
    await waitUntil(() => reasons.length === 1, 3_000, 'serverdisconnected');
    assert.match(reasons[0], /dropped/);
    assert.equal(publication.ended, true);
    await assert.rejects(other.send('x'), { name: 'DisconnectedError' });
  });
});

describe('reconnection', () => {
  test('relogin with the ticket replays missed events; requests made meanwhile wait for it', async (t) => {
    const { portal, client } = await setup(t);
    const info = await client.join(portal.token());
    const firstTicket = client.reconnectionTicket;
    const events: string[] = [];
    client.on('reconnecting', () => events.push('reconnecting'));
    client.on('reconnected', ({ replayed }) => events.push(`reconnected ${replayed}`));
    client.on('participantjoined', ({ participant }) => events.push(`join ${participant.id}`));
    client.on('streamadded', ({ stream }) => events.push(`add ${stream.id}`));
    portal.cutNetwork(info.self.id);
    await waitUntil(() => events.includes('reconnecting'), 6_000, 'reconnecting');
    await waitUntil(
      () => portal.participants.get(info.self.id)?.socket === undefined,
      3_000,
      'portal sees the socket gone',
    );
    portal.notify(info.self.id, 'participant', {
      action: 'join',
      data: { id: 'late', user: 'late', role: 'viewer' },
    });
    portal.notify(info.self.id, 'stream', {
      id: 'missed',
      status: 'add',
      data: {
        id: 'missed',
        type: 'forward',
        media: { tracks: [{ id: 'v', type: 'video' }] },
        info: { owner: 'late' },
      },
    });
    const sending = client.send('while away');
    await waitUntil(() => events.some((e) => e.startsWith('reconnected')), 5_000, 'reconnected');
    await sending;
    assert.deepEqual(events, ['reconnecting', 'join late', 'add missed', 'reconnected 2']);
    const relogin = portal.requests('relogin');
    assert.equal(relogin.length, 1);
    assert.equal(relogin[0].data, firstTicket);
    assert.notEqual(client.reconnectionTicket, firstTicket);
    const order = portal.received.map((r) => r.name);
    assert.ok(order.indexOf('text') > order.indexOf('relogin'), order.join(','));
  });

  test('a 1.0/1.1 relogin answer (ticket string) is accepted', async (t) => {
    const { portal, client } = await setup(t);
    portal.behaviour.relogin = '1.1';
    const info = await client.join(portal.token());
    let reconnected = false;
    client.on('reconnected', () => {
      reconnected = true;
    });
    portal.cutNetwork(info.self.id);
    await waitUntil(() => reconnected, 5_000, 'reconnected');
    assert.equal(sdk.decodeTicket(client.reconnectionTicket ?? '').participantId, info.self.id);
  });

  test('a refused relogin ends the session with serverdisconnected', async (t) => {
    const { portal, client } = await setup(t);
    portal.behaviour.relogin = 'refuse';
    const info = await client.join(portal.token());
    const reasons: string[] = [];
    client.on('serverdisconnected', ({ reason }) => reasons.push(reason));
    portal.cutNetwork(info.self.id);
    await waitUntil(() => reasons.length === 1, 5_000, 'serverdisconnected');
    assert.match(reasons[0], /relogin refused/);
  });

  test('the ticket is refreshed before it expires', async (t) => {
    const { portal, client } = await setup(t, { ticketRefreshMarginMs: 60_000 });
    portal.behaviour.ticketLifeMs = 600;
    await client.join(portal.token());
    const first = client.reconnectionTicket;
    await waitUntil(
      () => portal.requests('refreshReconnectionTicket').length >= 1,
      3_000,
      'a ticket refresh',
    );
    await waitUntil(() => client.reconnectionTicket !== first, 2_000, 'the new ticket taken');
  });
});

async function waitForStream(portal: FakePortal, client: SdkClient, id: string) {
  // The fake portal does not announce publications by itself: do it as a conference would.
  portal.notifyAll('stream', {
    id,
    status: 'add',
    data: {
      id,
      type: 'forward',
      media: {
        tracks: [
          { id: `${id}-a`, type: 'audio', source: 'mic' },
          { id: `${id}-v`, type: 'video', source: 'camera' },
        ],
      },
      info: { owner: 'me', type: 'webrtc', inViews: [], attributes: {} },
    },
  });
  await waitUntil(() => client.remoteStreams.some((s) => s.id === id), 2_000, `stream ${id} announced`);
  const stream = client.remoteStreams.find((s) => s.id === id);
  assert.ok(stream);
  return stream;
}
