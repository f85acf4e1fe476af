import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SchedulingCandidate } from '../../cluster-manager/candidate.js';
import { STRATEGY_NAMES, type StrategyName } from '../../cluster-manager/config.js';
import { createStrategy } from '../../cluster-manager/strategies/create-strategy.js';
import { workerWeight } from '../../cluster-manager/strategies/weight-robin.js';
import { candidate, sequenceRandom } from './helpers.js';

// Join order w1 < w2 < w3 < w4 (joinSeq 1..4), deliberately listed out of order below.
const w1 = candidate('w1', { joinSeq: 1, load: 0.5 });
const w2 = candidate('w2', { joinSeq: 2, load: 0.2 });
const w3 = candidate('w3', { joinSeq: 3, load: 0.7 });
const w4 = candidate('w4', { joinSeq: 4, load: 0.2 });

interface Case {
  name: string;
  strategy: StrategyName;
  random?: number[];
  /** Each step: the candidates offered and the id expected. */
  steps: [SchedulingCandidate[], string][];
}

const cases: Case[] = [
  { name: 'least-used picks the lowest load', strategy: 'least-used', steps: [[[w3, w1, w2], 'w2']] },
  {
    name: 'least-used ties go to the earliest joined',
    strategy: 'least-used',
    steps: [[[w4, w3, w2], 'w2']],
  },
  { name: 'most-used picks the highest load', strategy: 'most-used', steps: [[[w1, w3, w2], 'w3']] },
  {
    name: 'most-used with all loads 0 still picks (earliest joined)',
    strategy: 'most-used',
    steps: [[[candidate('b', { joinSeq: 9 }), candidate('a', { joinSeq: 8 })], 'a']],
  },
  { name: 'most-used ties go to the earliest joined', strategy: 'most-used', steps: [[[w4, w2], 'w2']] },
  {
    name: 'last-used sticks to its pick while it is a candidate, then moves to the newest',
    strategy: 'last-used',
    steps: [
      [[w1, w2, w3], 'w3'],
      [[w1, w2, w3, w4], 'w3'],
      [[w1, w2, w4], 'w4'],
      [[w1, w2, w3, w4], 'w4'],
      [[w1, w2], 'w2'],
    ],
  },
  {
    name: 'round-robin cycles in join order',
    strategy: 'round-robin',
    steps: [
      [[w3, w1, w2], 'w1'],
      [[w3, w1, w2], 'w2'],
      [[w3, w1, w2], 'w3'],
      [[w3, w1, w2], 'w1'],
    ],
  },
  {
    name: 'round-robin skips absent workers and keeps its position',
    strategy: 'round-robin',
    steps: [
      [[w1, w2, w3, w4], 'w1'],
      [[w1, w3, w4], 'w3'],
      [[w1, w2, w3, w4], 'w4'],
      [[w1, w2, w3, w4], 'w1'],
      [[w1, w2, w3, w4], 'w2'],
    ],
  },
  {
    name: 'round-robin wraps when the last pick was the newest',
    strategy: 'round-robin',
    steps: [
      [[w4], 'w4'],
      [[w2, w4], 'w2'],
    ],
  },
  {
    name: 'randomly-pick maps the random value onto join order',
    strategy: 'randomly-pick',
    random: [0, 0.26, 0.5, 0.99, 0.999999],
    steps: [
      [[w4, w3, w2, w1], 'w1'],
      [[w4, w3, w2, w1], 'w2'],
      [[w4, w3, w2, w1], 'w3'],
      [[w4, w3, w2, w1], 'w4'],
      [[w4, w3, w2, w1], 'w4'],
    ],
  },
  {
    name: 'weight-robin alternates between equal weights',
    strategy: 'weight-robin',
    steps: [
      [[w2, w4], 'w2'],
      [[w2, w4], 'w4'],
      [[w2, w4], 'w2'],
      [[w2, w4], 'w4'],
    ],
  },
];

describe('strategies', () => {
  for (const c of cases) {
    it(c.name, () => {
      const strategy = createStrategy(c.strategy, c.random ? { random: sequenceRandom(c.random) } : {});
      assert.equal(strategy.name, c.strategy);
      c.steps.forEach(([offered, expected], step) => {
        assert.equal(strategy.pick(offered)?.id, expected, `step ${step}`);
      });
    });
  }

  for (const name of STRATEGY_NAMES) {
    it(`${name} returns undefined for no candidates and picks the only one`, () => {
      const strategy = createStrategy(name, { random: () => 0.5 });
      assert.equal(strategy.pick([]), undefined);
      assert.equal(strategy.pick([w3])?.id, 'w3');
    });
  }

  it('randomly-pick uses Math.random by default and stays within the candidates', () => {
    const strategy = createStrategy('randomly-pick');
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(strategy.pick([w1, w2])?.id ?? 'none');
    assert.deepEqual([...seen].sort(), ['w1', 'w2']);
  });

  it('last-used forgets a departed worker: a worker re-joining under that id is not sticky', () => {
    const strategy = createStrategy('last-used');
    assert.equal(strategy.pick([w1, w2])?.id, 'w2');
    strategy.forget('w2');
    const w2Again = candidate('w2', { joinSeq: 0 });
    assert.equal(strategy.pick([w1, w2Again])?.id, 'w1');
  });
});

describe('weight-robin', () => {
  it('weights are (1 - load) x 100', () => {
    assert.equal(workerWeight(0), 100);
    assert.equal(Math.round(workerWeight(0.25)), 75);
    assert.equal(workerWeight(1), 0);
  });

  const distributions: { loads: number[]; picks: number; expected: number[] }[] = [
    { loads: [0, 0.5], picks: 300, expected: [200, 100] },
    { loads: [0.2, 0.6, 0.8], picks: 140, expected: [80, 40, 20] },
    { loads: [0.1, 0.1, 0.1, 0.7], picks: 300, expected: [90, 90, 90, 30] },
  ];
  for (const d of distributions) {
    it(`splits picks in proportion to weight for loads ${d.loads.join('/')}`, () => {
      const workers = d.loads.map((load, i) => candidate(`x${i}`, { joinSeq: i, load }));
      const strategy = createStrategy('weight-robin');
      const counts = new Map<string, number>();
      for (let i = 0; i < d.picks; i++) {
        const id = strategy.pick(workers)?.id ?? 'none';
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      assert.deepEqual(
        workers.map((w) => counts.get(w.id) ?? 0),
        d.expected,
      );
    });
  }

  it('interleaves rather than bursting (smooth)', () => {
    const a = candidate('a', { joinSeq: 0, load: 0 }); // weight 100
    const b = candidate('b', { joinSeq: 1, load: 0.5 }); // weight 50
    const strategy = createStrategy('weight-robin');
    const order = Array.from({ length: 6 }, () => strategy.pick([a, b])?.id).join('');
    assert.equal(order, 'abaaba');
  });

  it('follows load changes', () => {
    const strategy = createStrategy('weight-robin');
    const light = candidate('light', { joinSeq: 0, load: 0 });
    const heavy = candidate('heavy', { joinSeq: 1, load: 0.9 });
    let heavyPicks = 0;
    for (let i = 0; i < 110; i++) if (strategy.pick([light, heavy])?.id === 'heavy') heavyPicks++;
    assert.equal(heavyPicks, 10);
  });
});
