import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../support/wait-until.js';
import { nextEvent, PortalHarness, request } from './portal-harness.js';

interface ReloginResult {
  ticket: string;
  messages: Array<{ event: string; data: unknown; seq: number }>;
}

describe('portal: reconnection tickets', () => {
  let h: PortalHarness;
  before(async () => {
    h = await PortalHarness.start({ participantKeepMs: 3000 });
  });
  after(async () => {
    await h?.close();
  });

  const awayOnPortal = (id: string) => () => h.portal.service.participants.get(id)?.connection === undefined;

  it('relogin (1.2) after a disconnect replays the events missed while away', async () => {
    const { socket, result } = await h.login({ room: 'room-re' });
    // Received live before a clean disconnect: not replayed.
    const live0 = nextEvent(socket, 'stream');
    await h.bus.call(h.portal.id, 'notify', [
      result.id,
      'stream',
      { id: 's0', status: 'add', data: { id: 's0' } },
    ]);
    await live0;
    socket.disconnect();
    await waitUntil(awayOnPortal(result.id), 5000, 'portal noticed the disconnect');
    const missed = { id: 's9', status: 'add', data: { id: 's9' } };
    assert.equal(await h.bus.call(h.portal.id, 'notify', [result.id, 'stream', missed]), true);
    await h.bus.call(h.portal.id, 'notify', [result.id, 'text', { from: 'x', to: 'all', message: 'm' }]);

    const again = await h.connect();
    const [status, answer] = await request(again, 'relogin', result.reconnectionTicket);
    assert.equal(status, 'ok', String(answer));
    const { ticket, messages } = answer as ReloginResult;
    assert.equal(typeof ticket, 'string');
    assert.notEqual(ticket, result.reconnectionTicket);
    const streamEvents = messages.filter((m) => m.event === 'stream');
    assert.deepEqual(
      streamEvents.map((m) => m.data),
      [missed],
    );
    const texts = messages.filter((m) => m.event === 'text');
    assert.equal(texts.length, 1);
    assert.ok(texts[0]!.seq > streamEvents[0]!.seq, 'seq grows');
    assert.equal(h.conference.callsOf('leave').filter((c) => c.args[1] === result.id).length, 0);

    // Session works again, events arrive live.
    const live = nextEvent(again, 'stream');
    await h.bus.call(h.portal.id, 'notify', [result.id, 'stream', { id: 's9', status: 'remove' }]);
    assert.deepEqual(await live, { id: 's9', status: 'remove' });
    const [s2] = await request(again, 'text', { to: 'all', message: 'back' });
    assert.equal(s2, 'ok');

    // The old ticket was superseded; the new one works, also in the {ticket} form SDK 5.1 sends.
    again.disconnect();
    await waitUntil(awayOnPortal(result.id), 5000, 'portal noticed the second disconnect');
    const third = await h.connect();
    const [s3, r3] = await request(third, 'relogin', result.reconnectionTicket);
    assert.equal(s3, 'error');
    assert.match(String(r3), /superseded/);
    const [s4, r4] = await request(third, 'relogin', { ticket, messages: [] });
    assert.equal(s4, 'ok', String(r4));
  });

  it('refreshReconnectionTicket gives a new ticket that replaces the old one', async () => {
    const { socket, result } = await h.login({ room: 'room-re' });
    const [status, fresh] = await request(socket, 'refreshReconnectionTicket');
    assert.equal(status, 'ok');
    assert.equal(typeof fresh, 'string');
    const t = JSON.parse(Buffer.from(String(fresh), 'base64').toString('utf8')) as Record<string, unknown>;
    assert.equal(t.participantId, result.id);
    socket.disconnect();
    await waitUntil(awayOnPortal(result.id), 5000, 'portal noticed the disconnect');
    const again = await h.connect();
    const [s1] = await request(again, 'relogin', result.reconnectionTicket);
    assert.equal(s1, 'error');
    const [s2] = await request(again, 'relogin', fresh);
    assert.equal(s2, 'ok');
  });

  it('protocol 1.1: relogin answers the ticket and sends the missed events again', async () => {
    const { socket, result } = await h.login({ room: 'room-re', protocol: '1.1' });
    socket.disconnect();
    await waitUntil(awayOnPortal(result.id), 5000, 'portal noticed the disconnect');
    const missed = { action: 'join', data: { id: 'p7', user: 'u', role: 'r' } };
    await h.bus.call(h.portal.id, 'notify', [result.id, 'participant', missed]);
    const again = await h.connect();
    const replayed = nextEvent(again, 'participant');
    const [status, ticket] = await request(again, 'relogin', result.reconnectionTicket);
    assert.equal(status, 'ok');
    assert.equal(typeof ticket, 'string');
    assert.deepEqual(await replayed, missed);
  });

  it('refuses forged, foreign and garbage tickets', async () => {
    const { result } = await h.login({ room: 'room-re' });
    const t = JSON.parse(Buffer.from(String(result.reconnectionTicket), 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
    const socket = await h.connect();
    const forged = Buffer.from(
      JSON.stringify({ ...t, notAfter: (t.notAfter as number) + 1 }),
      'utf8',
    ).toString('base64');
    for (const [ticket, pattern] of [
      [forged, /signature/],
      ['garbage', /ticket/],
      [Buffer.from('{"a":1}').toString('base64'), /lacks/],
    ] as const) {
      const [status, reason] = await request(socket, 'relogin', ticket);
      assert.equal(status, 'error');
      assert.match(String(reason), pattern);
    }
  });

  it('a participant that does not come back within the keep time leaves its room', async () => {
    const { socket, result } = await h.login({ room: 'room-re' });
    socket.disconnect();
    await waitUntil(
      () => h.conference.callsOf('leave').some((c) => c.args[1] === result.id),
      10_000,
      'leave after the keep time',
    );
    const again = await h.connect();
    const [status, reason] = await request(again, 'relogin', result.reconnectionTicket);
    assert.equal(status, 'error');
    assert.match(String(reason), /left or was dropped/);
  });

  it('clients without a ticket leave as soon as their socket closes', async () => {
    const { socket, result } = await h.login({ room: 'room-re', sdkType: 'Python' });
    socket.disconnect();
    await waitUntil(
      () => h.conference.callsOf('leave').some((c) => c.args[1] === result.id),
      3000,
      'leave at once',
    );
  });
});
