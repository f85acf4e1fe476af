/**
 * The few SDP edits the SDK makes. Only used where the browser lacks
 * RTCRtpTransceiver.setCodecPreferences: then the codec order of one m-section is rewritten.
 */

interface Section {
  lines: string[];
}

function splitSections(sdp: string): { session: string[]; sections: Section[]; eol: string } {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  if (lines[lines.length - 1] === '') lines.pop();
  const session: string[] = [];
  const sections: Section[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push({ lines: [line] });
    else if (sections.length > 0) sections[sections.length - 1].lines.push(line);
    else session.push(line);
  }
  return { session, sections, eol };
}

function midOf(section: Section): string | undefined {
  const line = section.lines.find((l) => l.startsWith('a=mid:'));
  return line?.slice('a=mid:'.length).trim();
}

/** The mids of an SDP's m-sections, in order (a missing mid is ''). */
export function sdpMids(sdp: string): string[] {
  return splitSections(sdp).sections.map((s) => midOf(s) ?? '');
}

/** How many m-sections an SDP has. */
export function sectionCount(sdp: string): number {
  return splitSections(sdp).sections.length;
}

/**
 * Moves the payload types of the preferred codecs (by name, case-insensitive, in preference
 * order) to the front of the m-section at `index`; the other payload types keep their order.
 * (By index, not mid: before setLocalDescription a new transceiver has no mid yet, and its
 * m-section is appended after the existing ones.)
 */
export function reorderCodecs(sdp: string, index: number, preferred: readonly string[]): string {
  if (preferred.length === 0) return sdp;
  const { session, sections, eol } = splitSections(sdp);
  const section = sections[index];
  if (!section) return sdp;
  const mLine = section.lines[0].split(' ');
  const payloads = mLine.slice(3);
  const codecOf = new Map<string, string>();
  for (const line of section.lines) {
    const match = /^a=rtpmap:(\d+) ([^/]+)\//.exec(line);
    if (match) codecOf.set(match[1], match[2].toLowerCase());
  }
  const wanted = preferred.map((c) => c.toLowerCase());
  const front: string[] = [];
  for (const codec of wanted) {
    for (const pt of payloads) if (codecOf.get(pt) === codec && !front.includes(pt)) front.push(pt);
  }
  if (front.length === 0) return sdp;
  section.lines[0] = [...mLine.slice(0, 3), ...front, ...payloads.filter((pt) => !front.includes(pt))].join(
    ' ',
  );
  return [...session, ...sections.flatMap((s) => s.lines)].join(eol) + eol;
}

/** The trickled candidate line as OWT portals expect it: with the "a=" prefix. */
export function candidateLine(candidate: string): string {
  return candidate.startsWith('a=') ? candidate : `a=${candidate}`;
}
