import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signTicket, TicketVerifier } from '../../common/links/link-ticket.js';

describe('link tickets', () => {
  const claims = (expiresAt: number) => ({ linkId: 'l1', sourceNodeId: 'a', destNodeId: 'b', expiresAt });

  it('verifies signature, destination, expiry and single use', () => {
    let now = 1_000_000;
    const verifier = new TicketVerifier('secret', 'b', {
      now: () => now,
      maxTtlMs: 60_000,
      clockSkewMs: 1_000,
    });
    const ticket = signTicket(claims(now + 30_000), 'secret');
    assert.deepEqual(verifier.verify(ticket), { ok: true });
    assert.equal(verifier.verify(ticket).ok, false);
    assert.deepEqual((verifier.verify(ticket) as { code: string }).code, 'replayed');
    const other = signTicket(claims(now + 30_000), 'secret');
    assert.notDeepEqual(Buffer.from(other.nonce), Buffer.from(ticket.nonce), 'fresh nonce per ticket');
    assert.deepEqual(verifier.verify(other), { ok: true });

    const flipped = signTicket(claims(now + 30_000), 'secret');
    flipped.signature = Buffer.from(flipped.signature);
    flipped.signature[0]! ^= 1;
    assert.equal((verifier.verify(flipped) as { code: string }).code, 'bad-signature');
    const longer = { ...signTicket(claims(now + 30_000), 'secret'), expiresAt: now + 40_000 };
    assert.equal((verifier.verify(longer) as { code: string }).code, 'bad-signature');

    now += 31_500; // past expiry plus skew
    const late = signTicket(claims(now - 2_000), 'secret');
    assert.equal((verifier.verify(late) as { code: string }).code, 'expired');
  });

  it('forgets nonces once their tickets expired', () => {
    let now = 5_000_000;
    const verifier = new TicketVerifier('secret', 'b', { now: () => now, maxTtlMs: 10_000, clockSkewMs: 0 });
    for (let i = 0; i < 100; i++)
      assert.equal(verifier.verify(signTicket(claims(now + 5_000), 'secret')).ok, true);
    assert.equal(verifier.rememberedNonces, 100);
    now += 6_000;
    assert.equal(verifier.verify(signTicket(claims(now + 5_000), 'secret')).ok, true);
    assert.equal(verifier.rememberedNonces, 1);
  });
});
