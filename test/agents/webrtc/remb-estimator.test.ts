import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RembEstimator } from '../../../agents/webrtc/remb-estimator.js';

/** One second of a publisher sending `bps` with `loss` of its packets lost for good. */
function second(bps: number, loss: number) {
  const packets = Math.round(bps / 8 / 1100);
  const lost = Math.round(packets * loss);
  return { bytes: (packets - lost) * 1100, packets: packets - lost, lost, intervalMs: 1000 };
}

describe('RembEstimator', () => {
  it('stays at the ceiling while there is no loss (a browser needs room to turn on layers)', () => {
    const e = new RembEstimator({ maxBps: 2_500_000 });
    assert.equal(e.bps, 2_500_000);
    assert.equal(e.update(second(300_000, 0)), 2_500_000);
    assert.equal(e.receivedBps > 250_000 && e.receivedBps < 350_000, true);
  });

  it('recovers by 25 % per clean second after a back-off, up to the ceiling', () => {
    const e = new RembEstimator({ maxBps: 2_500_000 });
    const low = e.update(second(1_000_000, 0.5));
    assert.ok(low < 2_500_000 * 0.8, String(low));
    const next = e.update(second(1_000_000, 0));
    assert.ok(Math.abs(next - low * 1.25) < 2, `${next} vs ${low}`);
    for (let i = 0; i < 10; i++) e.update(second(1_000_000, 0));
    assert.equal(e.bps, 2_500_000);
  });

  it('backs off under heavy loss, holds between 2 and 10 %, never under the floor', () => {
    const e = new RembEstimator({ maxBps: 2_500_000, minBps: 150_000 });
    const before = e.bps;
    const after = e.update(second(1_500_000, 0.2));
    assert.ok(Math.abs(after - before * 0.9) < 2, `${after} after 20 % loss from ${before}`);
    const held = e.update(second(1_500_000, 0.05));
    assert.equal(held, after);
    for (let i = 0; i < 30; i++) e.update(second(100_000, 0.5));
    assert.equal(e.bps, 150_000);
  });

  it('ignores empty intervals (no video yet)', () => {
    const e = new RembEstimator({ maxBps: 1_000_000 });
    assert.equal(e.update({ bytes: 0, packets: 0, lost: 0, intervalMs: 1000 }), 1_000_000);
  });
});
