import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLUSTER_MANAGER_ID } from '../../cluster-manager/protocol.js';
import { TokenService } from '../../common/auth/token-service.js';
import type { ParticipantJoin } from '../../conference/protocol.js';
import { CONFERENCE_AGENT, loginMessage, PortalHarness, request, TOKEN_KEY } from './portal-harness.js';

function decodeTicket(ticket: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(ticket, 'base64').toString('utf8')) as Record<string, unknown>;
}

describe('portal: login', () => {
  let h: PortalHarness;
  before(async () => {
    h = await PortalHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('joins the room on the conference node found through the cluster manager and answers the 1.2 shape', async () => {
    const socket = await h.connect();
    const token = await h.issueToken('room-login', 'alice', 'presenter');
    const [status, result] = await request(socket, 'login', loginMessage(token));
    assert.equal(status, 'ok', String(result));
    const r = result as Record<string, unknown>;
    assert.equal(typeof r.id, 'string');
    assert.equal(r.user, 'alice');
    assert.equal(r.role, 'presenter');
    assert.deepEqual(r.permission, {
      publish: { audio: true, video: true },
      subscribe: { audio: true, video: true },
    });
    assert.deepEqual(r.room, {
      id: 'room-login',
      views: ['common'],
      participants: [{ id: r.id, user: 'alice', role: 'presenter' }],
      streams: [],
    });
    const ticket = decodeTicket(String(r.reconnectionTicket));
    assert.equal(ticket.participantId, r.id);
    assert.equal(typeof ticket.ticketId, 'string');
    assert.equal(typeof ticket.signature, 'string');
    assert.ok((ticket.notAfter as number) - (ticket.notBefore as number) === 600_000);

    const join = h.conference.callsOf('join').at(-1);
    assert.equal(join?.args[0], 'room-login');
    const participant = join?.args[1] as ParticipantJoin;
    assert.equal(participant.id, r.id);
    assert.equal(participant.portal, h.portal.id);
    assert.deepEqual(participant.preference, { isp: 'isp1' });
    assert.deepEqual(h.conference.getNodeRequests.at(-1), { task: 'room-login', room: 'room-login' });
    assert.equal(
      await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['conference', 'room-login']),
      CONFERENCE_AGENT,
    );
  });

  it('gives no reconnection ticket to SDKs that cannot relogin', async () => {
    const socket = await h.connect();
    const token = await h.issueToken('room-login', 'bob');
    const [status, result] = await request(socket, 'login', loginMessage(token, { sdkType: 'Python' }));
    assert.equal(status, 'ok');
    assert.equal((result as Record<string, unknown>).reconnectionTicket, undefined);
  });

  it('refuses bad, forged, expired and replayed tokens; the session carries on', async () => {
    const socket = await h.connect();
    const joinsBefore = h.conference.callsOf('join').length;

    let [status, reason] = await request(socket, 'login', loginMessage('not-a-token'));
    assert.equal(status, 'error');
    assert.match(String(reason), /token refused/);

    const good = await h.issueToken('room-login', 'carol');
    const payload = JSON.parse(Buffer.from(good, 'base64').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...payload, host: 'evil.example:1' }), 'utf8').toString(
      'base64',
    );
    [status, reason] = await request(socket, 'login', loginMessage(forged));
    assert.equal(status, 'error');
    assert.match(String(reason), /signature/);

    const shortLived = new TokenService({ store: h.store, key: TOKEN_KEY, lifetimeMs: 1 });
    const expired = await h.issueToken('room-login', 'dave', 'presenter', shortLived);
    await new Promise((r) => setTimeout(r, 20));
    [status, reason] = await request(socket, 'login', loginMessage(expired));
    assert.equal(status, 'error');
    assert.match(String(reason), /expired/);

    const otherKey = new TokenService({ store: h.store, key: 'some-other-key' });
    [status, reason] = await request(
      socket,
      'login',
      loginMessage(await h.issueToken('room-login', 'e', 'presenter', otherKey)),
    );
    assert.equal(status, 'error');
    assert.match(String(reason), /signature/);
    assert.equal(h.conference.callsOf('join').length, joinsBefore, 'no refused login reached the conference');

    // The same socket can still log in, and the token it used is spent.
    [status] = await request(socket, 'login', loginMessage(good));
    assert.equal(status, 'ok');
    const other = await h.connect();
    [status, reason] = await request(other, 'login', loginMessage(good));
    assert.equal(status, 'error');
    assert.match(String(reason), /already used/);
  });

  it('refuses a second login on a logged-in socket', async () => {
    const { socket } = await h.login({ room: 'room-login' });
    const [status, reason] = await request(socket, 'login', loginMessage(await h.issueToken('room-login')));
    assert.equal(status, 'error');
    assert.match(String(reason), /already logged in/);
  });

  it('refuses logins missing the SDK description or with an unsupported protocol', async () => {
    const socket = await h.connect();
    const token = await h.issueToken('room-login');
    for (const bad of [
      { token },
      { token, userAgent: { sdk: { type: 'JavaScript' } }, protocol: '1.2' },
      { token, userAgent: { sdk: { type: 'JavaScript', version: '5.1' } }, protocol: '2.0' },
    ]) {
      const [status, reason] = await request(socket, 'login', bad);
      assert.equal(status, 'error', JSON.stringify(bad));
      assert.match(String(reason), /invalid message/);
    }
    // The token was not consumed by the refused messages.
    const [status] = await request(socket, 'login', loginMessage(token));
    assert.equal(status, 'ok');
  });

  it('answers a login for a room whose conference cannot be reached with an error', async () => {
    await h.bus.call(CLUSTER_MANAGER_ID, 'setState', [CONFERENCE_AGENT, 'draining']);
    try {
      const socket = await h.connect();
      const [status, reason] = await request(
        socket,
        'login',
        loginMessage(await h.issueToken('room-unscheduled')),
      );
      assert.equal(status, 'error');
      assert.match(String(reason), /conference node/);
    } finally {
      await h.bus.call(CLUSTER_MANAGER_ID, 'setState', [CONFERENCE_AGENT, 'in-service']);
    }
  });
});
