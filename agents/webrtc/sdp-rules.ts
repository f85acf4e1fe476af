/**
 * SDP text rules werift does not apply itself (notes/owt-compat.md "SDP rules the SDK imposes",
 * traps 7 and 8). Works on lines: werift's own SDP objects are not stable across versions.
 */

export interface SdpMediaSection {
  lines: string[];
}

export interface ParsedSdp {
  session: string[];
  media: SdpMediaSection[];
}

export function parseSdp(sdp: string): ParsedSdp {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const session: string[] = [];
  const media: SdpMediaSection[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) media.push({ lines: [line] });
    else if (media.length === 0) session.push(line);
    else media[media.length - 1]!.lines.push(line);
  }
  return { session, media };
}

export function writeSdp(parsed: ParsedSdp): string {
  return `${[...parsed.session, ...parsed.media.flatMap((m) => m.lines)].join('\r\n')}\r\n`;
}

function attr(section: SdpMediaSection, name: string): string | undefined {
  const prefix = `a=${name}:`;
  return section.lines.find((l) => l.startsWith(prefix))?.slice(prefix.length);
}

export function sectionMid(section: SdpMediaSection): string | undefined {
  return attr(section, 'mid');
}

export function sectionKind(section: SdpMediaSection): string {
  return section.lines[0]!.slice(2).split(' ')[0]!;
}

const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type SdpDirection = (typeof DIRECTIONS)[number];

export function sectionDirection(section: SdpMediaSection): SdpDirection {
  for (const d of DIRECTIONS) if (section.lines.includes(`a=${d}`)) return d;
  return 'sendrecv';
}

/** rids the offer sends (a=rid:X send), in offer order. */
export function sectionSendRids(section: SdpMediaSection): string[] {
  return section.lines
    .filter((l) => l.startsWith('a=rid:'))
    .map((l) => l.slice(6).split(' '))
    .filter((parts) => parts[1] === 'send')
    .map((parts) => parts[0]!);
}

interface PayloadInfo {
  pt: number;
  codec: string;
  fmtp: string;
}

function payloads(section: SdpMediaSection): PayloadInfo[] {
  const pts = section.lines[0]!.split(' ').slice(3).map(Number);
  return pts.map((pt) => ({
    pt,
    codec: rtpmapCodec(section, pt),
    fmtp: section.lines.find((l) => l.startsWith(`a=fmtp:${pt} `))?.slice(`a=fmtp:${pt} `.length) ?? '',
  }));
}

function rtpmapCodec(section: SdpMediaSection, pt: number): string {
  const line = section.lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
  return line ? line.split(' ')[1]!.split('/')[0]!.toLowerCase() : '';
}

function fmtpParams(fmtp: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of fmtp.split(';')) {
    const [k, v] = part.trim().split('=');
    if (k) map.set(k.toLowerCase(), v ?? '');
  }
  return map;
}

/** Keeps only the payload types in `keep` (their rtpmap, fmtp and rtcp-fb lines too). */
function keepPayloadTypes(section: SdpMediaSection, keep: Set<number>): void {
  const mline = section.lines[0]!.split(' ');
  const kept = mline.slice(3).filter((pt) => keep.has(Number(pt)));
  section.lines[0] = [...mline.slice(0, 3), ...kept].join(' ');
  section.lines = section.lines.filter((l) => {
    const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+)[ ]/.exec(l);
    return !m || keep.has(Number(m[2]));
  });
}

/**
 * Which H264 payload types we accept (trap 7: werift matches H264 by mime type only). Our
 * answer advertises constrained baseline mode 1; a browser offering several H264 variants must
 * not end up sending High profile or mode 0 under that answer. (The depacketizer handles mode 0
 * too; negotiating it would need a second H264 entry in peer-config.)
 */
export function acceptableH264(fmtp: string): boolean {
  const params = fmtpParams(fmtp);
  const profile = (params.get('profile-level-id') ?? '42e01f').toLowerCase();
  const mode = params.get('packetization-mode') ?? '0';
  return (profile.startsWith('42e0') || profile.startsWith('4200')) && mode === '1';
}

export interface OfferPlan {
  /** Video/audio codec a subscription mid must use (the codec of its source), if known. */
  codecByMid: ReadonlyMap<string, string>;
}

/**
 * Prepares a client offer for werift: filters H264 variants, restricts subscription m-lines to
 * their source's codec, drops RTX/RED/FEC (werift answers NACKs on the media SSRC) so that
 * what werift answers is what our pipeline handles.
 */
export function prepareOffer(sdp: string, plan: OfferPlan): string {
  const parsed = parseSdp(sdp);
  for (const section of parsed.media) {
    const kind = sectionKind(section);
    if (kind !== 'video' && kind !== 'audio') continue;
    const mid = sectionMid(section);
    const wanted = mid === undefined ? undefined : plan.codecByMid.get(mid);
    const list = payloads(section);
    const keep = new Set<number>();
    for (const p of list) {
      if (['rtx', 'red', 'ulpfec', 'flexfec-03', 'cn', 'telephone-event'].includes(p.codec)) continue;
      if (p.codec === 'h264' && !acceptableH264(p.fmtp)) continue;
      if (wanted && p.codec !== wanted) continue;
      keep.add(p.pt);
    }
    // Nothing left: keep the list unfiltered rather than make werift fail on an empty m-line.
    if (keep.size > 0) keepPayloadTypes(section, keep);
  }
  return writeSdp(parsed);
}

export interface AnswerFixes {
  /** Mids of stopped publications/subscriptions: a=inactive, port kept, still in BUNDLE. */
  closedMids: ReadonlySet<string>;
  /** NAT 1:1: also advertise host candidates with this address. */
  publicIp?: string;
  /** Mids whose answer announces RTX (subscriptions: with our SSRCs; publications: payload type only). */
  rtx?: ReadonlyMap<string, RtxAnswer>;
}

export interface RtxAnswer {
  /** The media payload type the answer negotiated, and the offer's RTX payload type for it. */
  apt: number;
  rtxPayloadType: number;
  /** Our sending SSRCs (subscriptions); absent for a publication (we only receive there). */
  ssrcs?: { mediaSsrc: number; rtxSsrc: number };
}

/**
 * The offer's RTX payload type repairing `mediaPayloadType` on m-line `mid`, if it offers one.
 * werift cannot negotiate RTX itself (it checks a remote rtx codec's apt against its own
 * payload numbering), so offers reach it without RTX and the answer gets it back here.
 */
export function offeredRtxPayloadType(
  offerSdp: string,
  mid: string,
  mediaPayloadType: number,
): number | undefined {
  const section = parseSdp(offerSdp).media.find((m) => sectionMid(m) === mid);
  if (!section) return undefined;
  return payloads(section).find(
    (p) => p.codec === 'rtx' && fmtpParams(p.fmtp).get('apt') === String(mediaPayloadType),
  )?.pt;
}

/**
 * A publisher's RTX for m-line `mid`: the offer's RTX payload type repairing `mediaPayloadType`
 * and its `a=ssrc-group:FID media rtx` SSRCs. Rid simulcast offers have no FID group: none.
 */
export function offeredPublisherRtx(
  offerSdp: string,
  mid: string,
  mediaPayloadType: number,
): { rtxPayloadType: number; mediaSsrc: number; rtxSsrc: number } | undefined {
  const rtxPayloadType = offeredRtxPayloadType(offerSdp, mid, mediaPayloadType);
  const section = parseSdp(offerSdp).media.find((m) => sectionMid(m) === mid);
  const fid = section?.lines.find((l) => l.startsWith('a=ssrc-group:FID '))?.split(' ');
  if (rtxPayloadType === undefined || !fid || fid.length < 3) return undefined;
  return { rtxPayloadType, mediaSsrc: Number(fid[1]), rtxSsrc: Number(fid[2]) };
}

/** Adds RTX to an answer's m-line: payload type, rtpmap/fmtp, and the FID group of SSRCs. */
function addRtx(section: SdpMediaSection, rtx: RtxAnswer): void {
  const mline = section.lines[0]!.split(' ');
  if (mline.slice(3).includes(String(rtx.rtxPayloadType))) return;
  section.lines[0] = [...mline, String(rtx.rtxPayloadType)].join(' ');
  const at = section.lines.findIndex((l) => l.startsWith(`a=rtpmap:${rtx.apt} `));
  section.lines.splice(
    at < 0 ? section.lines.length : at + 1,
    0,
    `a=rtpmap:${rtx.rtxPayloadType} rtx/90000`,
    `a=fmtp:${rtx.rtxPayloadType} apt=${rtx.apt}`,
  );
  const ssrcs = rtx.ssrcs;
  if (!ssrcs) return;
  // Every attribute the media SSRC has (cname, msid), for the RTX SSRC too, grouped by FID.
  const media = section.lines.filter((l) => l.startsWith(`a=ssrc:${ssrcs.mediaSsrc} `));
  if (media.length === 0) return;
  const last = section.lines.lastIndexOf(media[media.length - 1]!);
  section.lines.splice(
    last + 1,
    0,
    ...media.map((l) => l.replace(`a=ssrc:${ssrcs.mediaSsrc} `, `a=ssrc:${ssrcs.rtxSsrc} `)),
  );
  const firstSsrc = section.lines.findIndex((l) => l.startsWith('a=ssrc:'));
  section.lines.splice(firstSsrc, 0, `a=ssrc-group:FID ${ssrcs.mediaSsrc} ${ssrcs.rtxSsrc}`);
}

const DISCARD_PORT = '9';

/** Applies the SDK's answer rules to werift's answer. */
export function fixAnswer(sdp: string, offerSdp: string, fixes: AnswerFixes): string {
  const answer = parseSdp(sdp);
  const offer = parseSdp(offerSdp);
  const offeredMids = offer.media.map(sectionMid);
  for (const section of answer.media) {
    const mid = sectionMid(section);
    const parts = section.lines[0]!.split(' ');
    // Port 0 rejects the m-line; the SDK then fails (mid 0 is the BUNDLE tag): keep it open.
    if (parts[1] === '0' && mid !== undefined && offeredMids.includes(mid)) {
      parts[1] = DISCARD_PORT;
      section.lines[0] = parts.join(' ');
    }
    if (mid !== undefined && fixes.closedMids.has(mid)) {
      section.lines = section.lines
        .filter((l) => !l.startsWith('a=msid:') && !l.startsWith('a=ssrc'))
        .map((l) => (DIRECTIONS.some((d) => l === `a=${d}`) ? 'a=inactive' : l));
      if (!section.lines.includes('a=inactive')) section.lines.push('a=inactive');
    }
    const rtx = mid !== undefined && !fixes.closedMids.has(mid) ? fixes.rtx?.get(mid) : undefined;
    if (rtx) addRtx(section, rtx);
    if (fixes.publicIp) addPublicCandidates(section, fixes.publicIp);
  }
  const bundled = answer.media.map(sectionMid).filter((m): m is string => m !== undefined);
  answer.session = answer.session.filter((l) => !l.startsWith('a=group:BUNDLE'));
  if (bundled.length > 0) answer.session.push(`a=group:BUNDLE ${bundled.join(' ')}`);
  return writeSdp(answer);
}

function addPublicCandidates(section: SdpMediaSection, publicIp: string): void {
  const extra: string[] = [];
  for (const line of section.lines) {
    if (!line.startsWith('a=candidate:') || !line.includes(' typ host')) continue;
    const f = line.slice('a=candidate:'.length).split(' ');
    if (f[4] === publicIp) continue;
    // Same socket, advertised address of the NAT; priority just below the private one.
    f[0] = `${f[0]}p`;
    f[3] = String(Math.max(1, Number(f[3]) - 1));
    f[4] = publicIp;
    extra.push(`a=candidate:${f.join(' ')}`);
  }
  if (extra.length === 0) return;
  const at = section.lines.findIndex((l) => l.startsWith('a=candidate:'));
  section.lines.splice(at, 0, ...extra);
}

/** a=candidate lines (trickled by the SDK with the "a=" prefix) in the form werift parses. */
export function normalizeCandidate(candidate: string): string {
  return candidate.startsWith('a=') ? candidate.slice(2) : candidate;
}
