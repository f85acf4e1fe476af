/** Room controller: webrtc orchestration (transports, sessions, progress, links, lost nodes). */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NODE_LOST_TOPIC, type NodeLostEvent } from '../../agents/protocol.js';
import { CLUSTER_MANAGER_ID } from '../../cluster-manager/protocol.js';
import type { ForwardStreamInfo } from '../../conference/stream-info.js';
import { waitUntil } from '../support/wait-until.js';
import { CONFERENCE_NODE_ID, ConferenceHarness } from './harness.js';

let h: ConferenceHarness;

beforeEach(async () => {
  h = new ConferenceHarness();
  await h.start();
  h.rooms.set('r1', { name: 'room one', views: [] });
});

afterEach(async () => {
  await h.stop();
});

describe('conference media orchestration', () => {
  it('publish schedules and creates a transport, relays soac and progress, announces the stream', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'b');
    const answer = await h.conf('publish', 'r1', 'p1', 'pub1', {
      media: {
        tracks: [
          { type: 'audio', mid: '0', source: 'mic' },
          { type: 'video', mid: '1', source: 'camera' },
        ],
      },
      attributes: { owner: 'alice' },
      transport: { type: 'webrtc' },
    });
    assert.deepEqual(answer, { id: 'pub1', transportId: 'pub1' });
    // Scheduled by the participant's preference: isp a → agent webrtc-a.
    assert.deepEqual(h.webrtcAgent('a').called('getNode')[0]?.args, [{ task: 'pub1', room: 'r1' }]);
    assert.equal(await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['webrtc', 'pub1']), 'webrtc-a');
    const node = h.webrtc('a');
    assert.deepEqual(node.methods(), ['createTransport', 'publish']);
    assert.deepEqual(node.called('createTransport')[0]?.args, [
      'pub1',
      { room: 'r1', owner: 'p1', controller: CONFERENCE_NODE_ID },
    ]);
    assert.deepEqual(node.called('publish')[0]?.args, [
      'pub1',
      'pub1',
      [
        { type: 'audio', mid: '0', source: 'mic' },
        { type: 'video', mid: '1', source: 'camera' },
      ],
    ]);

    // soac from the client goes to the node.
    const offer = { type: 'offer', sdp: 'v=0 offer' };
    await h.conf('onTransportSignaling', 'r1', 'p1', 'pub1', offer);
    assert.deepEqual(node.called('onTransportSignaling')[0]?.args, ['pub1', offer]);
    await assert.rejects(h.conf('onTransportSignaling', 'r1', 'p2', 'pub1', offer), {
      name: 'NotFoundError',
    });

    // The node's answer and readiness come back as progress events.
    h.transportProgress('r1', 'pub1', { type: 'answer', sdp: 'v=0 answer' });
    const soac = await h.portal.waitFor('p1', 'progress', (d) => d.status === 'soac', 'soac progress');
    assert.deepEqual(soac, { id: 'pub1', status: 'soac', data: { type: 'answer', sdp: 'v=0 answer' } });

    // Session ready before the transport: nothing announced yet.
    h.sessionProgress('r1', 'pub1', {
      type: 'ready',
      media: {
        tracks: [
          { type: 'audio', mid: '0', format: { codec: 'opus', sampleRate: 48000, channelNum: 2 } },
          {
            type: 'video',
            mid: '1',
            format: { codec: 'vp8' },
            resolutions: { '': { width: 640, height: 480 } },
          },
        ],
      },
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.portal.of('p2', 'stream').length, 0);

    h.transportProgress('r1', 'pub1', { type: 'ready' });
    await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.status === 'ready' && d.sessionId === undefined,
      'transport',
    );
    const sessionReady = await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.sessionId === 'pub1',
      'session ready',
    );
    assert.deepEqual(sessionReady, { id: 'pub1', sessionId: 'pub1', status: 'ready' });

    const added = await h.portal.waitFor('p2', 'stream', (d) => d.status === 'add', 'stream add to p2');
    await h.portal.waitFor('p1', 'stream', (d) => d.status === 'add', 'stream add to the publisher');
    const info = added.data as ForwardStreamInfo;
    assert.equal(info.id, 'pub1');
    assert.equal(info.type, 'forward');
    assert.deepEqual(info.info, { owner: 'p1', type: 'webrtc', inViews: [], attributes: { owner: 'alice' } });
    const [audio, video] = info.media.tracks;
    assert.deepEqual(audio?.format, { codec: 'opus', sampleRate: 48000, channelNum: 2 });
    assert.equal(audio?.source, 'mic');
    assert.equal(audio?.status, 'active');
    assert.equal(video?.mid, '1');
    assert.deepEqual(video?.parameters?.resolution, { width: 640, height: 480 });
    // The SDK requires all four optional parameter arrays.
    const optional = video?.optional?.parameters;
    assert.ok(optional && Array.isArray(optional.resolution) && Array.isArray(optional.framerate));
    assert.ok(Array.isArray(optional.bitrate) && Array.isArray(optional.keyFrameInterval));
    assert.ok(optional.resolution.every((r) => r.width < 640 && r.height < 480));
    assert.ok(!video?.optional?.format.some((f) => f.codec === 'vp8' && f.profile === undefined));

    // A new participant sees it at join.
    const late = await h.join('r1', 'p3', 'viewer', 'a');
    assert.deepEqual(
      late.room.streams.map((s) => (s as ForwardStreamInfo).id),
      ['pub1'],
    );

    // media-update becomes a whole-StreamInfo update.
    h.sessionProgress('r1', 'pub1', {
      type: 'media-update',
      media: {
        tracks: [
          { type: 'audio', mid: '0', format: { codec: 'opus', sampleRate: 48000, channelNum: 2 } },
          {
            type: 'video',
            mid: '1',
            format: { codec: 'vp8' },
            resolutions: { '': { width: 1280, height: 720 } },
          },
        ],
      },
    });
    const update = await h.portal.waitFor('p2', 'stream', (d) => d.status === 'update', 'update');
    const value = (update.data as { field: string; value: ForwardStreamInfo }).value;
    assert.equal((update.data as { field: string }).field, '.');
    assert.deepEqual(value.media.tracks[1]?.parameters?.resolution, { width: 1280, height: 720 });

    // A later publish naming the transport reuses it.
    const second = await h.conf('publish', 'r1', 'p1', 'pub2', {
      media: { tracks: [{ type: 'video', mid: '2', source: 'screen-cast' }] },
      transport: { type: 'webrtc', id: 'pub1' },
    });
    assert.deepEqual(second, { id: 'pub2', transportId: 'pub1' });
    assert.equal(h.webrtcAgent('a').called('getNode').length, 1);
    assert.equal(node.called('createTransport').length, 1);
    await assert.rejects(
      h.conf('publish', 'r1', 'p2', 'pub3', {
        media: { tracks: [{ type: 'video', mid: '0' }] },
        transport: { type: 'webrtc', id: 'pub1' },
      }),
      { name: 'PermissionDeniedError' },
    );
  });

  it('subscribe on the same node uses the stream directly; unpublish fails subscribers and removes the stream', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'a');
    await h.publishLive('r1', 'p1', 'pub1');
    const node = h.webrtc('a');
    const sub = await h.subscribeReady('r1', 'p2', 'sub1', 'pub1');
    assert.deepEqual(sub, { id: 'sub1', transportId: 'sub1' });
    assert.deepEqual(node.called('subscribe')[0]?.args, [
      'sub1',
      'sub1',
      [
        { type: 'audio', mid: '0', from: 'pub1', codec: 'opus' },
        { type: 'video', mid: '1', from: 'pub1', codec: 'vp8' },
      ],
    ]);
    assert.equal(node.called('subscribeInternal').length, 0, 'no internal link on the same node');

    await h.conf('subscriptionControl', 'r1', 'p2', 'sub1', { operation: 'pause', data: 'video' });
    assert.deepEqual(node.called('mute').at(-1)?.args, ['sub1', 'video', true]);
    await h.conf('subscriptionControl', 'r1', 'p2', 'sub1', {
      operation: 'update',
      data: { video: { parameters: { resolution: { width: 640, height: 480 } } } },
    });
    // The source's own size: nothing to transcode, the node picks (no layers here).
    assert.deepEqual(node.called('setLayer').at(-1)?.args, [
      'sub1',
      { resolution: { width: 640, height: 480 } },
    ]);
    await assert.rejects(
      h.conf('subscriptionControl', 'r1', 'p1', 'sub1', { operation: 'play', data: 'video' }),
      { name: 'PermissionDeniedError' },
    );

    await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'pause', data: 'av' });
    assert.deepEqual(node.called('mute').at(-1)?.args, ['pub1', 'av', true]);
    for (const field of ['audio.status', 'video.status']) {
      await h.portal.waitFor(
        'p2',
        'stream',
        (d) => d.status === 'update' && (d.data as { field: string }).field === field,
        `${field} update`,
      );
    }
    await assert.rejects(h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: 'common' }), {
      name: 'NotFoundError',
      message: 'view common does not exist',
    });
    await assert.rejects(h.conf('streamControl', 'r1', 'p2', 'pub1', { operation: 'play', data: 'av' }), {
      name: 'PermissionDeniedError',
    });

    await h.conf('unpublish', 'r1', 'p1', 'pub1');
    assert.deepEqual(node.called('unpublish')[0]?.args, ['pub1', 'pub1']);
    await h.portal.waitFor(
      'p2',
      'progress',
      (d) => d.sessionId === 'sub1' && d.status === 'error' && d.data === 'Source stream loss',
      'subscriber told its source is gone',
    );
    await h.portal.waitFor('p2', 'stream', (d) => d.id === 'pub1' && d.status === 'remove', 'remove to p2');
    await h.portal.waitFor('p1', 'stream', (d) => d.id === 'pub1' && d.status === 'remove', 'remove to p1');
    await waitUntil(() => node.called('unsubscribe').length === 1, 2000, 'subscription removed on the node');
    await assert.rejects(h.conf('unsubscribe', 'r1', 'p2', 'sub1'), { name: 'NotFoundError' });
  });

  it('subscribe on another webrtc node links the stream once per destination node and tears it down after the last', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'b');
    await h.join('r1', 'p3', 'viewer', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    const src = h.webrtc('a');
    const dest = h.webrtc('b');

    await h.subscribeReady('r1', 'p2', 'sub2', 'pub1');
    assert.equal(await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['webrtc', 'sub2']), 'webrtc-b');
    assert.deepEqual(dest.called('publishInternal')[0]?.args, [
      'pub1',
      { type: 'internal', fromNode: src.id },
    ]);
    assert.deepEqual(src.called('subscribeInternal')[0]?.args, [
      `link:pub1:${dest.id}`,
      { type: 'internal', toNode: dest.id, address: { host: '127.0.0.1', port: dest.linkPort } },
    ]);
    assert.deepEqual(src.called('linkup')[0]?.args, [`link:pub1:${dest.id}`, 'pub1']);
    const destOrder = dest.methods();
    assert.ok(destOrder.indexOf('publishInternal') < destOrder.indexOf('subscribe'), 'link before subscribe');
    assert.deepEqual(dest.called('subscribe')[0]?.args[2], [
      { type: 'audio', mid: '0', from: 'pub1', codec: 'opus' },
      { type: 'video', mid: '1', from: 'pub1', codec: 'vp8' },
    ]);

    // A second subscriber on the same destination node shares the link.
    await h.subscribeReady('r1', 'p3', 'sub3', 'pub1');
    assert.equal(dest.called('publishInternal').length, 1);
    assert.equal(src.called('subscribeInternal').length, 1);

    await h.conf('unsubscribe', 'r1', 'p2', 'sub2');
    assert.deepEqual(dest.called('unsubscribe')[0]?.args, ['sub2', 'sub2']);
    assert.equal(src.called('unsubscribeInternal').length, 0, 'link kept while sub3 uses it');
    await h.conf('unsubscribe', 'r1', 'p3', 'sub3');
    assert.deepEqual(src.called('unsubscribeInternal')[0]?.args, [`link:pub1:${dest.id}`]);
    assert.deepEqual(dest.called('unpublishInternal')[0]?.args, ['pub1']);
  });

  it('simulcast: one track per rid; a track id as `from` picks that layer and links it', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'b');
    const added = await h.publishLive(
      'r1',
      'p1',
      'sim',
      {
        tracks: [
          {
            type: 'video',
            mid: '0',
            format: { codec: 'vp8' },
            rids: ['q', 'f'],
            resolutions: { q: { width: 320, height: 180 }, f: { width: 1280, height: 720 } },
          },
        ],
      },
      [{ type: 'video', mid: '0', source: 'camera' }],
    );
    const tracks = (added.data as ForwardStreamInfo).media.tracks;
    assert.deepEqual(
      tracks.map((t) => [t.id, t.rid, t.parameters?.resolution?.width]),
      [
        ['sim-0-q', 'q', 320],
        ['sim-0-f', 'f', 1280],
      ],
    );
    const answer = await h.conf<{ transportId: string }>('subscribe', 'r1', 'p2', 'sub', {
      media: { tracks: [{ type: 'video', mid: '0', from: 'sim-0-q' }] },
      transport: { type: 'webrtc' },
    });
    const src = h.webrtc('a');
    const dest = h.webrtc('b');
    assert.deepEqual(dest.called('subscribe')[0]?.args, [
      answer.transportId,
      'sub',
      [{ type: 'video', mid: '0', from: 'sim', rid: 'q', codec: 'vp8' }],
    ]);
    assert.deepEqual(dest.called('publishInternal')[0]?.args, [
      'sim:q',
      { type: 'internal', fromNode: src.id },
    ]);
    // Asking for a large resolution moves to layer f: its stream is linked first.
    await h.conf('subscriptionControl', 'r1', 'p2', 'sub', {
      operation: 'update',
      data: { video: { parameters: { resolution: { width: 1280, height: 720 } } } },
    });
    assert.deepEqual(dest.called('publishInternal')[1]?.args, [
      'sim:f',
      { type: 'internal', fromNode: src.id },
    ]);
    assert.deepEqual(dest.called('setLayer')[0]?.args, [
      'sub',
      { rid: 'f', resolution: { width: 1280, height: 720 } },
    ]);
    // Layer q's link is no longer used.
    await waitUntil(() => dest.called('unpublishInternal').length === 1, 2000, 'old layer link torn down');
    assert.deepEqual(dest.called('unpublishInternal')[0]?.args, ['sim:q']);
  });

  it('leave cleans up transports, publications, subscriptions and links', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'presenter', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.publishLive('r1', 'p2', 'pub2');
    await h.subscribeReady('r1', 'p2', 'sub2', 'pub1');
    await h.subscribeReady('r1', 'p1', 'sub1', 'pub2');
    const a = h.webrtc('a');
    const b = h.webrtc('b');

    await h.conf('leave', 'r1', 'p2');
    await h.portal.waitFor('p1', 'stream', (d) => d.id === 'pub2' && d.status === 'remove', 'pub2 removed');
    await h.portal.waitFor('p1', 'participant', (d) => d.action === 'leave' && d.data === 'p2', 'p2 left');
    await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.sessionId === 'sub1' && d.status === 'error',
      'p1 subscription of pub2 failed',
    );
    const destroyed = b.called('destroyTransport').map((c) => c.args[0]);
    assert.deepEqual(destroyed.sort(), ['pub2', 'sub2']);
    assert.deepEqual(
      h
        .webrtcAgent('b')
        .called('recycleNode')
        .map((c) => c.args[1])
        .sort(),
      ['pub2', 'sub2'],
    );
    for (const task of ['pub2', 'sub2']) {
      assert.equal(await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['webrtc', task]), null);
    }
    // Both links (pub1 a→b, pub2 b→a) are gone from the surviving sides.
    assert.deepEqual(a.called('unsubscribeInternal')[0]?.args, [`link:pub1:${b.id}`]);
    assert.deepEqual(a.called('unpublishInternal')[0]?.args, ['pub2']);
    assert.equal(
      h.portal.of('p2', 'progress').filter((d) => (d as { status: string }).status === 'error').length,
      0,
    );
    assert.deepEqual(
      (await h.conf<ForwardStreamInfo[]>('getStreams', 'r1')).map((s) => s.id),
      ['pub1'],
    );
  });

  it('a lost webrtc node: its clients get progress errors, its streams and subscriptions go', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.subscribeReady('r1', 'p2', 'sub2', 'pub1');
    const a = h.webrtc('a');
    const b = h.webrtc('b');
    const callsOnA = a.calls.length;

    const lost: NodeLostEvent = {
      agentId: 'webrtc-a',
      purpose: 'webrtc',
      nodeId: a.id,
      tasks: ['pub1'],
      exitCode: null,
      signal: 'SIGKILL',
    };
    h.bus.publish(NODE_LOST_TOPIC, lost);
    await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.id === 'pub1' && d.sessionId === 'pub1' && d.status === 'error',
      'publisher told its node is lost',
    );
    await h.portal.waitFor(
      'p2',
      'progress',
      (d) => d.sessionId === 'sub2' && d.status === 'error',
      'subscriber told its source is lost',
    );
    await h.portal.waitFor('p2', 'stream', (d) => d.id === 'pub1' && d.status === 'remove', 'stream removed');
    await waitUntil(() => b.called('unpublishInternal').length === 1, 2000, 'link end on b dropped');
    assert.equal(a.calls.length, callsOnA, 'nothing is sent to the lost node');
    assert.deepEqual(await h.conf('getStreams', 'r1'), []);
    await assert.rejects(h.conf('onTransportSignaling', 'r1', 'p1', 'pub1', { type: 'offer', sdp: '' }), {
      name: 'NotFoundError',
    });
  });

  it('a lost webrtc worker (agent left) fails the subscriptions on it', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.subscribeReady('r1', 'p2', 'sub2', 'pub1');
    const a = h.webrtc('a');
    await h.webrtcAgent('b').stop();
    await h.portal.waitFor(
      'p2',
      'progress',
      (d) => d.sessionId === 'sub2' && d.status === 'error' && d.data === 'media node lost',
      'subscriber told its node is lost',
    );
    await waitUntil(() => a.called('unsubscribeInternal').length === 1, 2000, 'link from a torn down');
    // The publication on the healthy node stays.
    assert.deepEqual(
      (await h.conf<ForwardStreamInfo[]>('getStreams', 'r1')).map((s) => s.id),
      ['pub1'],
    );
  });

  it('transport failure and session failure become progress errors; failed setup leaves nothing behind', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'viewer', 'a');
    const a = h.webrtc('a');

    a.failures.set('publish', new Error('no such mid'));
    await assert.rejects(
      h.conf('publish', 'r1', 'p1', 'bad', {
        media: { tracks: [{ type: 'video', mid: '0' }] },
        transport: { type: 'webrtc' },
      }),
    );
    await waitUntil(() => a.called('destroyTransport').length === 1, 2000, 'unused transport destroyed');
    assert.equal(await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['webrtc', 'bad']), null);

    await h.conf('publish', 'r1', 'p1', 'pub1', {
      media: { tracks: [{ type: 'video', mid: '0' }] },
      transport: { type: 'webrtc' },
    });
    h.sessionProgress('r1', 'pub1', { type: 'failed', reason: 'codec refused' });
    const err = await h.portal.waitFor('p1', 'progress', (d) => d.status === 'error', 'session error');
    assert.deepEqual(err, { id: 'pub1', sessionId: 'pub1', status: 'error', data: 'codec refused' });

    await h.conf('publish', 'r1', 'p1', 'pub2', {
      media: { tracks: [{ type: 'video', mid: '1' }] },
      transport: { type: 'webrtc', id: 'pub1' },
    });
    h.transportProgress('r1', 'pub1', { type: 'failed', reason: 'ICE/DTLS failed' });
    await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.sessionId === 'pub2' && d.status === 'error' && d.data === 'ICE/DTLS failed',
      'transport failure fails its sessions',
    );
    await waitUntil(() => a.called('destroyTransport').length === 2, 2000, 'failed transport destroyed');

    // A node too slow to create the transport: the publish fails at the setup deadline and is
    // undone; the transport goes once the node answers.
    let release!: () => void;
    a.stalls.set(
      'createTransport',
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    const started = Date.now();
    await assert.rejects(
      h.conf('publish', 'r1', 'p1', 'slow', {
        media: { tracks: [{ type: 'video', mid: '0' }] },
        transport: { type: 'webrtc' },
      }),
      { name: 'MediaSetupError', message: /not set up within 1000 ms/ },
    );
    assert.ok(Date.now() - started < 5000, 'failed at the setup deadline');
    a.stalls.delete('createTransport');
    release();
    await waitUntil(
      () => a.called('destroyTransport').some((c) => c.args[0] === 'slow'),
      2000,
      'late transport destroyed',
    );
    assert.equal(a.called('publish').filter((c) => c.args[1] === 'slow').length, 0);

    // A stream whose codec the room does not accept is refused.
    h.rooms.set('vp8-only', { name: 'vp8 only', mediaIn: { video: [{ codec: 'vp8' }] } });
    await h.join('vp8-only', 'p9', 'presenter', 'a');
    await h.conf('publish', 'vp8-only', 'p9', 'h264pub', {
      media: { tracks: [{ type: 'video', mid: '0' }] },
      transport: { type: 'webrtc' },
    });
    h.transportProgress('vp8-only', 'h264pub', { type: 'ready' });
    h.sessionProgress('vp8-only', 'h264pub', {
      type: 'ready',
      media: { tracks: [{ type: 'video', mid: '0', format: { codec: 'h264', profile: 'CB' } }] },
    });
    await h.portal.waitFor(
      'p9',
      'progress',
      (d) => d.sessionId === 'h264pub' && d.status === 'error' && d.data === 'Video format unacceptable',
      'unacceptable codec refused',
    );
  });
});
