import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterManagerSchema, DEFAULT_STRATEGIES } from '../../cluster-manager/config.js';
import { PURPOSES } from '../../cluster-manager/protocol.js';

describe('cluster manager config', () => {
  it('defaults everything', () => {
    const parsed = clusterManagerSchema.parse({});
    assert.equal(parsed.keepAliveIntervalMs, 1000);
    assert.equal(parsed.missedKeepAlivesBeforeDrop, 3);
    assert.equal(parsed.reserveTimeMs, 60_000);
    assert.equal(parsed.recoveryTimeMs, 2000);
    assert.deepEqual(Object.keys(parsed.strategies).sort(), [...PURPOSES].sort());
  });

  it('uses the OWT default strategy per purpose', () => {
    const { strategies } = clusterManagerSchema.parse({});
    const expected = {
      portal: 'last-used',
      conference: 'last-used',
      webrtc: 'last-used',
      streaming: 'round-robin',
      sip: 'round-robin',
      recording: 'randomly-pick',
      audio: 'most-used',
      video: 'least-used',
      analytics: 'least-used',
    };
    for (const [purpose, strategy] of Object.entries(expected)) {
      assert.equal(strategies[purpose as keyof typeof strategies], strategy, purpose);
    }
    assert.deepEqual(strategies, DEFAULT_STRATEGIES);
  });

  it('overrides one strategy and keeps the other defaults', () => {
    const { strategies } = clusterManagerSchema.parse({ strategies: { video: 'weight-robin' } });
    assert.equal(strategies.video, 'weight-robin');
    assert.equal(strategies.audio, 'most-used');
  });

  const invalid: [string, unknown][] = [
    ['unknown field', { keepAlive: 5 }],
    ['unknown purpose', { strategies: { fax: 'round-robin' } }],
    ['unknown strategy', { strategies: { webrtc: 'closest' } }],
    ['zero interval', { keepAliveIntervalMs: 0 }],
    ['fractional misses', { missedKeepAlivesBeforeDrop: 2.5 }],
    ['negative reserve', { reserveTimeMs: -1 }],
    ['negative recovery', { recoveryTimeMs: -1 }],
  ];
  for (const [name, input] of invalid) {
    it(`rejects ${name}`, () => {
      assert.equal(clusterManagerSchema.safeParse(input).success, false);
    });
  }
});
