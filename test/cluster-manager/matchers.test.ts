import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchIspRegion } from '../../cluster-manager/matchers/isp-region-matcher.js';
import { matcherForPurpose } from '../../cluster-manager/matchers/matcher-for-purpose.js';
import { matchVideoCodecs } from '../../cluster-manager/matchers/video-codec-matcher.js';
import { PURPOSES, type SchedulePreference } from '../../cluster-manager/protocol.js';
import { candidate, ids } from './helpers.js';

const any = candidate('any'); // isps [] regions []
const telA = candidate('telA', { capacity: { isps: ['tel'], regions: ['a'] } });
const telB = candidate('telB', { capacity: { isps: ['tel'], regions: ['b'] } });
const mobA = candidate('mobA', { capacity: { isps: ['mob'], regions: ['a'] } });
const anyA = candidate('anyA', { capacity: { isps: [], regions: ['a', 'c'] } });
const all = [any, telA, telB, mobA, anyA];

describe('isp/region matcher', () => {
  const cases: { name: string; preference: SchedulePreference; expected: string[] }[] = [
    {
      name: 'no preference keeps everyone',
      preference: {},
      expected: ['any', 'telA', 'telB', 'mobA', 'anyA'],
    },
    { name: 'empty strings count as no preference', preference: { isp: '', region: '' }, expected: ids(all) },
    {
      name: 'isp keeps workers listing it and workers with no isps',
      preference: { isp: 'tel' },
      expected: ['any', 'telA', 'telB', 'anyA'],
    },
    {
      name: 'unknown isp keeps only isp-agnostic workers',
      preference: { isp: 'x' },
      expected: ['any', 'anyA'],
    },
    {
      name: 'region narrows fitting workers to those listing it',
      preference: { isp: 'tel', region: 'a' },
      expected: ['telA', 'anyA'],
    },
    { name: 'region alone narrows', preference: { region: 'b' }, expected: ['telB'] },
    {
      name: 'region nobody fitting lists is ignored (soft)',
      preference: { isp: 'tel', region: 'zz' },
      expected: ['any', 'telA', 'telB', 'anyA'],
    },
    {
      name: 'region listed only by a worker of another isp is ignored',
      preference: { isp: 'mob', region: 'b' },
      expected: ['any', 'mobA', 'anyA'],
    },
    {
      name: 'worker listing several regions matches any of them',
      preference: { region: 'c' },
      expected: ['anyA'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(ids(matchIspRegion(c.preference, all)), c.expected);
    });
  }

  it('keeps the input order and does not mutate it', () => {
    const input = [anyA, telA, any];
    assert.deepEqual(ids(matchIspRegion({ isp: 'tel' }, input)), ['anyA', 'telA', 'any']);
    assert.deepEqual(ids(input), ['anyA', 'telA', 'any']);
  });

  it('returns nothing for no candidates', () => {
    assert.deepEqual(matchIspRegion({ isp: 'tel', region: 'a' }, []), []);
  });
});

const h264vp8 = candidate('h264vp8', {
  capacity: { video: { encode: ['h264', 'vp8'], decode: ['h264', 'vp8'] } },
});
const vp8Only = candidate('vp8Only', { capacity: { video: { encode: ['vp8'], decode: ['vp8', 'h264'] } } });
const noVideo = candidate('noVideo');
const upper = candidate('upper', { capacity: { video: { encode: ['H264'], decode: ['VP9'] } } });
const videoWorkers = [h264vp8, vp8Only, noVideo, upper];

describe('video codec matcher', () => {
  const cases: { name: string; preference: SchedulePreference; expected: string[] }[] = [
    { name: 'no video preference keeps everyone', preference: {}, expected: ids(videoWorkers) },
    {
      name: 'empty codec lists keep everyone',
      preference: { video: { encode: [], decode: [] } },
      expected: ids(videoWorkers),
    },
    {
      name: 'encode must be covered',
      preference: { video: { encode: ['h264'] } },
      expected: ['h264vp8', 'upper'],
    },
    {
      name: 'decode must be covered',
      preference: { video: { decode: ['h264'] } },
      expected: ['h264vp8', 'vp8Only'],
    },
    {
      name: 'both lists must be covered',
      preference: { video: { encode: ['vp8'], decode: ['h264', 'vp8'] } },
      expected: ['h264vp8', 'vp8Only'],
    },
    {
      name: 'every required codec, not one of them',
      preference: { video: { encode: ['vp8', 'h264'] } },
      expected: ['h264vp8'],
    },
    {
      name: 'codec names compare case-insensitively',
      preference: { video: { decode: ['vp9'] } },
      expected: ['upper'],
    },
    { name: 'unsupported codec matches nobody', preference: { video: { encode: ['av1'] } }, expected: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(ids(matchVideoCodecs(c.preference, videoWorkers)), c.expected);
    });
  }
});

describe('matcher per purpose', () => {
  const vTelA = candidate('vTelA', {
    capacity: { isps: ['tel'], regions: ['a'], video: { encode: ['vp8'], decode: ['vp8'] } },
  });
  const vTelB = candidate('vTelB', {
    capacity: { isps: ['tel'], regions: ['b'], video: { encode: ['vp8', 'h264'], decode: ['vp8'] } },
  });
  const vMob = candidate('vMob', {
    capacity: { isps: ['mob'], regions: ['a'], video: { encode: ['h264'], decode: ['vp8'] } },
  });

  it('video applies codecs first, then isp/region among the codec-capable workers', () => {
    const match = matcherForPurpose('video');
    // vTelA is in the region but cannot encode h264: the region rule only sees vTelB.
    assert.deepEqual(
      ids(match({ isp: 'tel', region: 'a', video: { encode: ['h264'] } }, [vTelA, vTelB, vMob])),
      ['vTelB'],
    );
    assert.deepEqual(
      ids(match({ isp: 'tel', region: 'a', video: { encode: ['vp8'] } }, [vTelA, vTelB, vMob])),
      ['vTelA'],
    );
  });

  for (const purpose of PURPOSES.filter((p) => p !== 'video')) {
    it(`${purpose} applies isp/region and ignores codecs`, () => {
      const match = matcherForPurpose(purpose);
      assert.deepEqual(ids(match({ isp: 'tel', region: 'b', video: { encode: ['av1'] } }, all)), ['telB']);
      assert.deepEqual(ids(match({ isp: 'mob' }, all)), ['any', 'mobA', 'anyA']);
    });
  }
});
