import type { Purpose } from '../protocol.js';
import { matchIspRegion } from './isp-region-matcher.js';
import type { Matcher } from './matcher.js';
import { matchVideoCodecs } from './video-codec-matcher.js';

/** Video: codec capability first, then locality. */
const videoMatcher: Matcher = (preference, candidates) =>
  matchIspRegion(preference, matchVideoCodecs(preference, candidates));

/**
 * Every other purpose uses the isp/region rule. OWT applies it to portal, webrtc, streaming,
 * audio (and video) and none to conference, recording, sip, quic, analytics; applying it
 * everywhere costs nothing when workers or preferences declare no isp/region, and lets an
 * operator pin e.g. recording workers to an ISP or keep a room's conference in a region.
 */
const genericMatcher: Matcher = (preference, candidates) => matchIspRegion(preference, candidates);

export function matcherForPurpose(purpose: Purpose): Matcher {
  return purpose === 'video' ? videoMatcher : genericMatcher;
}
