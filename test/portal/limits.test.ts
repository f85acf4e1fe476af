import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PortalHarness, request } from './portal-harness.js';

describe('portal: per-socket limits', () => {
  let h: PortalHarness;
  before(async () => {
    h = await PortalHarness.start({ limits: { maxMessageBytes: 4096, messagesPerSecond: 20, burst: 20 } });
  });
  after(async () => {
    await h?.close();
  });

  it('an oversized message gets an error ack and never reaches the conference; the session carries on', async () => {
    const { socket } = await h.login({ room: 'room-limits' });
    const before = h.conference.callsOf('onTransportSignaling').length;
    const [status, reason] = await request(socket, 'soac', {
      id: 't1',
      signaling: { type: 'offer', sdp: 'a'.repeat(10_000) },
    });
    assert.equal(status, 'error');
    assert.match(String(reason), /too large/);
    assert.equal(h.conference.callsOf('onTransportSignaling').length, before);
    const [status2] = await request(socket, 'soac', { id: 't1', signaling: { type: 'offer', sdp: 'v=0' } });
    assert.equal(status2, 'ok');
  });

  it('a flood is cut to the rate; the session carries on', async () => {
    const { socket } = await h.login({ room: 'room-limits' });
    const textsBefore = h.conference.callsOf('text').length;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => request(socket, 'text', { to: 'all', message: `m${i}` })),
    );
    const ok = answers.filter(([s]) => s === 'ok').length;
    const limited = answers.filter(([s, r]) => s === 'error' && /too many/.test(String(r))).length;
    assert.equal(ok + limited, 100);
    assert.ok(limited >= 50, `most of the flood is refused (${limited} of 100)`);
    assert.ok(ok >= 15, `about the burst passes (${ok})`);
    assert.equal(h.conference.callsOf('text').length - textsBefore, ok);
    // The bucket refills: the session works again.
    await new Promise((r) => setTimeout(r, 300));
    const [status] = await request(socket, 'text', { to: 'all', message: 'after' });
    assert.equal(status, 'ok');
  });

  it('messages beyond the transport limit close the connection instead of being buffered', async () => {
    const socket = await h.connect();
    const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    socket.emit('text', { to: 'all', message: 'x'.repeat(2_000_000) });
    await closed;
  });
});
