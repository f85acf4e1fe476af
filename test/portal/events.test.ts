import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NODE_LOST_TOPIC } from '../../agents/protocol.js';
import { WORKER_LOST_TOPIC } from '../../cluster-manager/protocol.js';
import { waitUntil } from '../support/wait-until.js';
import { CONFERENCE_AGENT, CONFERENCE_NODE, nextEvent, PortalHarness, request } from './portal-harness.js';

describe('portal: events from the conference node', () => {
  let h: PortalHarness;
  before(async () => {
    h = await PortalHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('relays participant, stream, text and progress events unchanged', async () => {
    const { socket, result } = await h.login({ room: 'room-events' });
    const events = [
      ['participant', { action: 'join', data: { id: 'p2', user: 'bob', role: 'viewer' } }],
      [
        'stream',
        { id: 's1', status: 'add', data: { id: 's1', type: 'forward', media: { tracks: [] }, info: {} } },
      ],
      ['text', { from: 'p2', to: 'all', message: 'hi' }],
      ['progress', { id: 't1', status: 'soac', data: { type: 'answer', sdp: 'v=0\r\n' } }],
    ] as const;
    for (const [event, data] of events) {
      const received = nextEvent(socket, event);
      assert.equal(await h.bus.call(h.portal.id, 'notify', [result.id, event, data]), true);
      assert.deepEqual(await received, data);
    }
  });

  it('refuses notify with an unknown event name; ignores unknown participants', async () => {
    await assert.rejects(h.bus.call(h.portal.id, 'notify', ['x', 'drop', {}]), /bad arguments/);
    await assert.rejects(h.bus.call(h.portal.id, 'notify', [42, 'stream', {}]), /bad arguments/);
    assert.equal(await h.bus.call(h.portal.id, 'notify', ['nobody', 'stream', {}]), false);
  });

  it('drop: the client gets `drop` and is disconnected; no leave is sent back', async () => {
    const { socket, result } = await h.login({ room: 'room-events' });
    const leavesBefore = h.conference.callsOf('leave').length;
    const dropped = nextEvent(socket, 'drop');
    assert.equal(await h.bus.call(h.portal.id, 'drop', [result.id]), true);
    await dropped;
    await waitUntil(() => !socket.connected, 5000, 'socket closed after drop');
    assert.equal(h.portal.service.participants.get(result.id), undefined);
    assert.equal(h.conference.callsOf('leave').length, leavesBefore);
    assert.equal(await h.bus.call(h.portal.id, 'drop', [result.id]), false);
  });

  it('conference node lost: the room’s clients are dropped, others stay', async () => {
    const a = await h.login({ room: 'room-lost' });
    const b = await h.login({ room: 'room-lost' });
    const dropA = nextEvent(a.socket, 'drop');
    const dropB = nextEvent(b.socket, 'drop');
    h.bus.publish(NODE_LOST_TOPIC, {
      agentId: CONFERENCE_AGENT,
      purpose: 'conference',
      nodeId: CONFERENCE_NODE,
      tasks: ['room-lost'],
      exitCode: 1,
      signal: null,
    });
    await Promise.all([dropA, dropB]);
    assert.equal(h.portal.service.participants.size, 0);
  });

  it('conference agent lost: clients of its rooms are dropped', async () => {
    const a = await h.login({ room: 'room-agent-lost' });
    const c = await h.login({ room: 'room-elsewhere' });
    const dropA = nextEvent(a.socket, 'drop');
    h.bus.publish(WORKER_LOST_TOPIC, {
      workerId: CONFERENCE_AGENT,
      purpose: 'conference',
      tasks: ['room-agent-lost'],
      reason: 'keep-alive-timeout',
    });
    await dropA;
    assert.ok(h.portal.service.participants.get(c.result.id), 'the other room is untouched');
    const [status] = await request(c.socket, 'text', { to: 'all', message: 'still here' });
    assert.equal(status, 'ok');
  });

  it('logout leaves the room; later requests need a new login', async () => {
    const { socket, result } = await h.login({ room: 'room-events' });
    const [status] = await request(socket, 'logout');
    assert.equal(status, 'ok');
    assert.deepEqual(h.conference.callsOf('leave').at(-1)?.args, ['room-events', result.id]);
    const [status2, reason] = await request(socket, 'text', { to: 'all', message: 'x' });
    assert.equal(status2, 'error');
    assert.match(String(reason), /not logged in/);
    assert.equal(await h.bus.call(h.portal.id, 'notify', [result.id, 'stream', {}]), false);
  });
});
