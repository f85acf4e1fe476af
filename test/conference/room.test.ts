/** Room controller: participants, permissions, limits, text, release, management methods. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hasNodeRole } from '../../agents/node-roles.js';
import { CLUSTER_MANAGER_ID, WORKER_LOST_TOPIC } from '../../cluster-manager/protocol.js';
import type { MixedStreamInfo } from '../../conference/mixed-stream-info.js';
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

const rejects = (p: Promise<unknown>, name: string, message?: RegExp) =>
  assert.rejects(p, (err: Error) => {
    assert.equal(err.name, name, `${err.name}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });

describe('conference room controller: participants', () => {
  it('registers the conference node role', () => {
    assert.equal(hasNodeRole('conference'), true);
  });

  it('join answers permission and room; others hear join and leave; an empty room is released', async () => {
    assert.equal(await h.scheduleRoom('r1'), CONFERENCE_NODE_ID);
    const first = await h.join('r1', 'p1', 'presenter');
    assert.deepEqual(first.permission, {
      publish: { audio: true, video: true },
      subscribe: { audio: true, video: true },
    });
    assert.equal(first.room.id, 'r1');
    assert.deepEqual(first.room.views, []);
    assert.deepEqual(first.room.participants, [{ id: 'p1', user: 'user-p1', role: 'presenter' }]);
    assert.deepEqual(first.room.streams, []);

    const second = await h.join('r1', 'p2', 'viewer');
    assert.deepEqual(second.permission.publish, { audio: false, video: false });
    assert.deepEqual(
      second.room.participants.map((p) => p.id),
      ['p1', 'p2'],
    );
    const joinEvent = await h.portal.waitFor(
      'p1',
      'participant',
      (d) => d.action === 'join',
      'p1 hears p2 join',
    );
    assert.deepEqual(joinEvent.data, { id: 'p2', user: 'user-p2', role: 'viewer' });
    assert.equal(h.portal.of('p2', 'participant').length, 0, 'the joiner does not hear its own join');

    await h.conf('leave', 'r1', 'p2');
    await h.portal.waitFor(
      'p1',
      'participant',
      (d) => d.action === 'leave' && d.data === 'p2',
      'p1 hears p2 leave',
    );
    assert.equal(
      await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['conference', 'r1']),
      'conference-agent-1',
    );

    await h.conf('leave', 'r1', 'p1');
    await waitUntil(
      async () => (await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['conference', 'r1'])) === null,
      3000,
      'room unscheduled',
    );
    assert.deepEqual(h.conferenceAgent.called('recycleNode')[0]?.args, [CONFERENCE_NODE_ID, 'r1']);
    assert.deepEqual(h.node.roomIds(), []);
    await rejects(h.conf('getParticipants', 'r1'), 'RoomNotLiveError');

    // The room comes back with the next join.
    await h.join('r1', 'p3');
    assert.deepEqual(h.node.roomIds(), ['r1']);
  });

  it("a room's views are listed with their mixed streams (OWT MixedStream shape) from the start", async () => {
    h.rooms.set('mcu', {
      name: 'mcu room',
      views: [
        { label: 'common' },
        { label: 'hd', audio: false, video: { parameters: { resolution: { width: 1280, height: 720 } } } },
      ],
    });
    const joined = await h.join('mcu', 'p1', 'presenter');
    assert.deepEqual(joined.room.views, ['common', 'hd']);
    const streams = joined.room.streams as MixedStreamInfo[];
    assert.deepEqual(
      streams.map((s) => [s.id, s.type, s.info.label, s.info.activeInput, s.info.layout]),
      [
        ['mcu-common', 'mixed', 'common', 'unknown', []],
        ['mcu-hd', 'mixed', 'hd', 'unknown', []],
      ],
    );
    const common = streams[0]!;
    assert.deepEqual(
      common.media.tracks.map((t) => [t.type, t.format.codec]),
      [
        ['audio', 'opus'],
        ['video', 'h264'],
      ],
    );
    const video = common.media.tracks[1]!;
    assert.deepEqual(video.parameters?.resolution, { width: 640, height: 480 });
    assert.equal(video.parameters?.framerate, 24);
    assert.ok((video.parameters?.bitrate ?? 0) > 0);
    // The SDK throws without all four optional parameter arrays.
    assert.deepEqual(Object.keys(video.optional?.parameters ?? {}).sort(), [
      'bitrate',
      'framerate',
      'keyFrameInterval',
      'resolution',
    ]);
    assert.deepEqual(
      streams[1]!.media.tracks.map((t) => t.type),
      ['video'],
    );
    assert.deepEqual(
      (await h.conf<MixedStreamInfo>('getStream', 'mcu', 'mcu-hd')).media.tracks[0]?.parameters?.resolution,
      { width: 1280, height: 720 },
    );
    await rejects(h.conf('deleteStream', 'mcu', 'mcu-common'), 'ValidationError', /mixed stream/);
    await rejects(
      h.conf('updateStream', 'mcu', 'mcu-common', [
        { op: 'replace', path: '/media/audio/status', value: 'inactive' },
      ]),
      'ValidationError',
      /mixed stream/,
    );
    await h.conf('leave', 'mcu', 'p1');
  });

  it('refuses unknown rooms, unknown roles, a full room, and releases a room whose first join failed', async () => {
    await rejects(h.join('nope', 'p1'), 'NotFoundError', /room nope not found/);
    assert.deepEqual(h.node.roomIds(), []);
    await rejects(h.join('r1', 'p1', 'superuser'), 'PermissionDeniedError', /Invalid role/);
    await waitUntil(() => h.node.roomIds().length === 0, 2000, 'refused first join releases the room');

    h.rooms.set('small', { name: 'small', participantLimit: 1 });
    await h.join('small', 'p1');
    await rejects(h.join('small', 'p2'), 'RoomFullError', /Room is full/);
    // The same participant joining again (a portal retry) gets the same answer.
    const again = await h.join('small', 'p1');
    assert.deepEqual(
      again.room.participants.map((p) => p.id),
      ['p1'],
    );
  });

  it('text goes to everybody (sender too) or to one participant', async () => {
    await h.join('r1', 'p1');
    await h.join('r1', 'p2');
    await h.join('r1', 'p3');
    await h.conf('text', 'r1', 'p1', 'all', 'hello');
    for (const p of ['p1', 'p2', 'p3']) {
      await h.portal.waitFor(p, 'text', (d) => d.message === 'hello' && d.to === 'all' && d.from === 'p1', p);
    }
    await h.conf('text', 'r1', 'p2', 'p3', 'psst');
    await h.portal.waitFor(
      'p3',
      'text',
      (d) => d.message === 'psst' && d.to === 'me' && d.from === 'p2',
      'p3',
    );
    assert.equal(h.portal.of('p1', 'text').length, 1);
    await rejects(h.conf('text', 'r1', 'p1', 'ghost', 'x'), 'NotFoundError');
    await rejects(h.conf('text', 'r1', 'ghost', 'all', 'x'), 'NotFoundError', /has not joined/);
  });

  it('enforces role permissions; updateParticipant patches them', async () => {
    await h.join('r1', 'v1', 'viewer');
    const publish = () =>
      h.conf('publish', 'r1', 'v1', 's1', {
        media: { tracks: [{ type: 'video', mid: '0', source: 'camera' }] },
        transport: { type: 'webrtc' },
      });
    await rejects(publish(), 'PermissionDeniedError', /unauthorized/);
    assert.equal(h.webrtcAgent('a').called('getNode').length, 0, 'nothing scheduled for a refused publish');

    const updated = await h.conf<{ permission: unknown }>('updateParticipant', 'r1', 'v1', [
      { op: 'replace', path: '/permission/publish/video', value: true },
    ]);
    assert.deepEqual(updated.permission, {
      publish: { audio: false, video: true },
      subscribe: { audio: true, video: true },
    });
    assert.deepEqual(await publish(), { id: 's1', transportId: 's1' });

    await h.conf('updateParticipant', 'r1', 'v1', [
      { op: 'replace', path: '/permission/subscribe', value: false },
    ]);
    const [detail] = await h.conf<{ permission: { subscribe: unknown } }[]>('getParticipants', 'r1');
    assert.equal(detail?.permission.subscribe, false);
    await rejects(
      h.conf('updateParticipant', 'r1', 'v1', [{ op: 'add', path: '/permission/publish', value: true }]),
      'ValidationError',
    );
    await rejects(h.conf('getParticipant', 'r1', 'ghost'), 'NotFoundError');
  });

  it('enforces inputLimit on publications', async () => {
    h.rooms.set('one-input', { name: 'one input', inputLimit: 1 });
    await h.join('one-input', 'p1');
    const options = {
      media: { tracks: [{ type: 'audio', mid: '0', source: 'mic' }] },
      transport: { type: 'webrtc' },
    };
    await h.conf('publish', 'one-input', 'p1', 's1', options);
    await rejects(h.conf('publish', 'one-input', 'p1', 's2', options), 'InputLimitError', /Too many inputs/);
    await h.conf('unpublish', 'one-input', 'p1', 's1');
    await h.conf('publish', 'one-input', 'p1', 's3', options);
  });

  it('rejects malformed requests with ValidationError', async () => {
    await h.join('r1', 'p1');
    await rejects(h.conf('publish', 'r1', 'p1', 's1', { media: { tracks: [] } }), 'ValidationError');
    await rejects(h.conf('subscribe', 'r1', 'p1', 's2', { media: 'x' }), 'ValidationError');
    await rejects(h.conf('publish', 'r1', 42, 's1', {}), 'ValidationError');
    await rejects(h.conf('join', 'r1', { id: 'x' }), 'ValidationError');
    // Tokens may say "no preference" with nulls; the publish is then scheduled anywhere.
    await h.conf('join', 'r1', {
      id: 'pn',
      user: 'u',
      role: 'presenter',
      portal: h.portal.id,
      preference: null,
    });
    const answer = await h.conf('publish', 'r1', 'pn', 'spn', {
      media: { tracks: [{ type: 'audio', mid: '0' }] },
      transport: { type: 'webrtc' },
    });
    assert.deepEqual(answer, { id: 'spn', transportId: 'spn' });
  });
});

describe('conference room controller: lost portal', () => {
  it('a portal reported lost takes its participants out of the room', async () => {
    await h.join('r1', 'p1');
    await h.conf('join', 'r1', { id: 'q1', user: 'q', role: 'viewer', portal: 'portal-2', preference: {} });
    await h.conf('join', 'r1', { id: 'q2', user: 'q', role: 'viewer', portal: 'portal-2', preference: {} });
    h.bus.publish(WORKER_LOST_TOPIC, {
      workerId: 'portal-2',
      purpose: 'portal',
      tasks: [],
      reason: 'keep-alive-timeout',
    });
    for (const id of ['q1', 'q2']) {
      await h.portal.waitFor(
        'p1',
        'participant',
        (d) => d.action === 'leave' && d.data === id,
        `${id} leaves`,
      );
    }
    assert.deepEqual(
      (await h.conf<{ id: string }[]>('getParticipants', 'r1')).map((p) => p.id),
      ['p1'],
    );
  });
});

describe('conference room controller: management methods', () => {
  it('streams: get, mute through updateStream, no view to mix into, delete; outputs empty', async () => {
    await h.join('r1', 'p1');
    await h.join('r1', 'p2');
    await h.publishLive('r1', 'p1', 'pub1');
    const streams = await h.conf<ForwardStreamInfo[]>('getStreams', 'r1');
    assert.deepEqual(
      streams.map((s) => s.id),
      ['pub1'],
    );
    const stream = await h.conf<ForwardStreamInfo>('getStream', 'r1', 'pub1');
    assert.equal(stream.info.owner, 'p1');

    const muted = await h.conf<ForwardStreamInfo>('updateStream', 'r1', 'pub1', [
      { op: 'replace', path: '/media/video/status', value: 'inactive' },
    ]);
    assert.equal(muted.media.tracks.find((t) => t.type === 'video')?.status, 'inactive');
    assert.deepEqual(h.webrtc('a').called('mute').at(-1)?.args, ['pub1', 'video', true]);
    await h.portal.waitFor(
      'p2',
      'stream',
      (d) => d.status === 'update' && (d.data as { field: string }).field === 'video.status',
      'stream update to p2',
    );

    // This room has no views (an SFU room): nothing to mix into.
    await rejects(
      h.conf('updateStream', 'r1', 'pub1', [{ op: 'add', path: '/info/inViews', value: 'common' }]),
      'NotFoundError',
      /view common/,
    );
    await rejects(
      h.conf('updateStream', 'r1', 'pub1', [{ op: 'replace', path: '/info/layout', value: [] }]),
      'ValidationError',
    );
    await rejects(h.conf('getStream', 'r1', 'nope'), 'NotFoundError');
    assert.deepEqual(await h.conf('getStreamingOuts', 'r1'), []);
    assert.deepEqual(await h.conf('getRecordings', 'r1'), []);
    assert.deepEqual(await h.conf('getSipCalls', 'r1'), []);
    await rejects(h.conf('deleteRecording', 'r1', 'x'), 'NotFoundError', /recording x not found/);

    await h.conf('deleteStream', 'r1', 'pub1');
    await h.portal.waitFor(
      'p2',
      'stream',
      (d) => d.id === 'pub1' && d.status === 'remove',
      'p2 hears remove',
    );
    await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.sessionId === 'pub1' && d.status === 'error',
      'publisher hears its stream was deleted',
    );
    assert.deepEqual(await h.conf('getStreams', 'r1'), []);
  });

  it('dropParticipant tells the portal and cleans up; updateRoomConfig applies limits; destroy ends the room', async () => {
    await h.join('r1', 'p1');
    await h.join('r1', 'p2');
    await h.conf('dropParticipant', 'r1', 'p2');
    await waitUntil(() => h.portal.drops.includes('p2'), 2000, 'portal drop');
    await h.portal.waitFor('p1', 'participant', (d) => d.action === 'leave' && d.data === 'p2', 'leave');

    await h.conf('updateRoomConfig', 'r1', { name: 'room one', participantLimit: 1 });
    await rejects(h.join('r1', 'p3'), 'RoomFullError');
    await rejects(h.conf('updateRoomConfig', 'r1', { name: '' }), 'ValidationError');

    await h.conf('destroy', 'r1');
    await waitUntil(() => h.portal.drops.includes('p1'), 2000, 'portal drop on destroy');
    await waitUntil(
      async () => (await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['conference', 'r1'])) === null,
      3000,
      'room unscheduled after destroy',
    );
    assert.deepEqual(h.node.roomIds(), []);
  });
});
