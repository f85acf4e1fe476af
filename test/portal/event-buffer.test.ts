import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBuffer } from '../../portal/event-buffer.js';

describe('portal: event buffer for replay', () => {
  const make = (windowMs: number, max: number) => {
    let now = 1000;
    const buffer = new EventBuffer(windowMs, max, () => now);
    return { buffer, advance: (ms: number) => (now += ms) };
  };

  it('keeps the recent window while connected and numbers events', () => {
    const { buffer, advance } = make(100, 50);
    buffer.push('stream', 'old', true);
    advance(150);
    buffer.push('stream', 'recent', true);
    assert.deepEqual(buffer.replay(), [{ event: 'stream', data: 'recent', seq: 1 }]);
  });

  it('after a dead connection the window is replayed with what came while away', () => {
    const { buffer, advance } = make(100, 50);
    buffer.push('stream', 'maybe-lost', true);
    advance(50);
    buffer.markAway(true);
    advance(10_000);
    buffer.push('text', 'while-away', false);
    assert.deepEqual(
      buffer.replay().map((e) => e.data),
      ['maybe-lost', 'while-away'],
    );
    assert.equal(buffer.lost, false);
  });

  it('after a clean close only what came while away is replayed', () => {
    const { buffer } = make(100, 50);
    buffer.push('stream', 'delivered', true);
    buffer.markAway(false);
    buffer.push('stream', 'missed', false);
    assert.deepEqual(buffer.replay(), [{ event: 'stream', data: 'missed', seq: 1 }]);
  });

  it('reports loss when more events came while away than it keeps', () => {
    const { buffer } = make(100, 3);
    buffer.markAway(false);
    for (let i = 0; i < 3; i++) buffer.push('stream', i, false);
    assert.equal(buffer.lost, false);
    buffer.push('stream', 3, false);
    assert.equal(buffer.lost, true);
  });
});
