import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acceptableH264,
  fixAnswer,
  normalizeCandidate,
  parseSdp,
  prepareOffer,
  sectionSendRids,
} from '../../../agents/webrtc/sdp-rules.js';

/** A Chrome-like offer: video with VP8, H264 High, H264 mode 0, H264 CB mode 1, RTX; audio Opus. */
const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032',
  'a=rtpmap:103 H264/90000',
  'a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtcp-fb:104 nack pli',
  'a=rtpmap:105 rtx/90000',
  'a=fmtp:105 apt=104',
  'a=rid:q send',
  'a=rid:f send',
  'a=simulcast:send q;f',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=recvonly',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

function payloadTypes(sdp: string, index: number): string[] {
  return parseSdp(sdp).media[index]!.lines[0]!.split(' ').slice(3);
}

describe('SDP rules', () => {
  it('keeps only constrained-baseline/baseline H264 in mode 1 (trap 7), drops RTX', () => {
    assert.equal(acceptableH264('packetization-mode=1;profile-level-id=42e01f'), true);
    assert.equal(acceptableH264('packetization-mode=1;profile-level-id=42001f'), true);
    assert.equal(acceptableH264('packetization-mode=0;profile-level-id=42e01f'), false);
    assert.equal(acceptableH264('packetization-mode=1;profile-level-id=640032'), false);
    const out = prepareOffer(OFFER, { codecByMid: new Map() });
    assert.deepEqual(payloadTypes(out, 0), ['96', '104']);
    assert.doesNotMatch(out, /a=rtpmap:(97|102|103|105) /);
    assert.doesNotMatch(out, /a=fmtp:(97|102|103|105) /);
    assert.match(out, /a=rtcp-fb:104 nack pli/);
    assert.deepEqual(payloadTypes(out, 1), ['111']);
  });

  it("restricts a subscription's m-line to its source's codec", () => {
    const out = prepareOffer(OFFER, { codecByMid: new Map([['0', 'h264']]) });
    assert.deepEqual(payloadTypes(out, 0), ['104']);
    // An unknown codec would empty the m-line: the list is left as filtered by the other rules.
    const none = prepareOffer(OFFER, { codecByMid: new Map([['0', 'av1']]) });
    assert.deepEqual(payloadTypes(none, 0), ['96', '97', '102', '103', '104', '105']);
  });

  it('reads the rids an offer sends', () => {
    assert.deepEqual(sectionSendRids(parseSdp(OFFER).media[0]!), ['q', 'f']);
  });

  const ANSWER = [
    'v=0',
    'o=- 1 2 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=video 0 UDP/TLS/RTP/SAVPF 96',
    'a=mid:0',
    'a=recvonly',
    'a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host',
    'a=candidate:2 1 udp 2130706431 127.0.0.1 40001 typ host',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=mid:1',
    'a=sendonly',
    'a=msid:sub-1 track-1',
    'a=ssrc:1234 cname:x',
    '',
  ].join('\r\n');

  it('closed mids: inactive, port kept, still in BUNDLE; no msid/ssrc', () => {
    const out = fixAnswer(ANSWER, OFFER, { closedMids: new Set(['1']) });
    const [video, audio] = parseSdp(out).media;
    assert.match(video!.lines[0]!, /^m=video 9 /, 'port 0 on the BUNDLE tag replaced');
    assert.ok(audio!.lines.includes('a=inactive'));
    assert.ok(!audio!.lines.includes('a=sendonly'));
    assert.ok(!audio!.lines.some((l) => l.startsWith('a=msid:') || l.startsWith('a=ssrc')));
    assert.match(out, /a=group:BUNDLE 0 1\r\n/);
  });

  it('NAT 1:1: host candidates are also advertised with the public address', () => {
    const out = fixAnswer(ANSWER, OFFER, { closedMids: new Set(), publicIp: '203.0.113.7' });
    assert.match(out, /a=candidate:1p 1 udp 2130706430 203\.0\.113\.7 40000 typ host/);
    assert.match(out, /a=candidate:2p 1 udp 2130706430 203\.0\.113\.7 40001 typ host/);
    assert.match(out, /a=candidate:1 1 udp 2130706431 10\.0\.0\.5 40000 typ host/, 'private one kept');
  });

  it('accepts the SDK\'s "a=" prefixed candidates', () => {
    assert.equal(
      normalizeCandidate('a=candidate:1 1 udp 1 1.2.3.4 5 typ host'),
      'candidate:1 1 udp 1 1.2.3.4 5 typ host',
    );
    assert.equal(normalizeCandidate('candidate:1'), 'candidate:1');
  });
});
