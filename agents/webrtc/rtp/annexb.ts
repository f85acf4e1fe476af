/** Annex-B byte streams (start-code delimited NAL units), shared by H264 (and H265 later). */

export const START_CODE = new Uint8Array([0, 0, 0, 1]);

/** Splits an Annex-B buffer into NAL units (views, start codes and trailing zeros removed). */
export function splitAnnexB(buf: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  const len = buf.length;
  let start = -1;
  let i = 0;
  while (i + 2 < len) {
    if (buf[i + 2]! > 1) {
      i += 3; // no start code can end within these three bytes
      continue;
    }
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) pushTrimmed(nals, buf, start, i);
      i += 3;
      start = i;
      continue;
    }
    i++;
  }
  if (start >= 0) pushTrimmed(nals, buf, start, len);
  return nals;
}

function pushTrimmed(nals: Uint8Array[], buf: Uint8Array, start: number, end: number): void {
  let e = end;
  while (e > start && buf[e - 1] === 0) e--;
  if (e > start) nals.push(buf.subarray(start, e));
}

/** Joins NAL units (each given as one or more pieces) into Annex-B with 4-byte start codes. */
export function joinAnnexB(nals: readonly (readonly Uint8Array[])[]): Uint8Array {
  let total = 0;
  for (const pieces of nals) {
    total += 4;
    for (const p of pieces) total += p.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const pieces of nals) {
    out.set(START_CODE, o);
    o += 4;
    for (const p of pieces) {
      out.set(p, o);
      o += p.length;
    }
  }
  return out;
}
