import { formatRatio } from './fraction.js';
import type { BaseTemplate, LayoutTemplate, Region } from './layout-types.js';

/** A square region at (left, top), `size` of the canvas wide and high, in units of 1/den. */
function square(id: number, left: number, top: number, size: number, den: number): Region {
  return {
    id: String(id),
    shape: 'rectangle',
    area: {
      left: formatRatio(left, den),
      top: formatRatio(top, den),
      width: formatRatio(size, den),
      height: formatRatio(size, den),
    },
  };
}

/** Grids of 1x1, 2x2 … up to the smallest square that holds maxInput. */
export function fluidTemplates(maxInput: number): LayoutTemplate[] {
  const maxDiv = Math.ceil(Math.sqrt(maxInput));
  const out: LayoutTemplate[] = [];
  for (let div = 1; div <= maxDiv; div++) {
    const region: Region[] = [];
    let id = 1;
    for (let y = 0; y < div; y++) for (let x = 0; x < div; x++) region.push(square(id++, x, y, 1, div));
    out.push({ region });
  }
  return out;
}

/**
 * A large primary region top-left with small ones along the right and bottom edges: 1, 6, then
 * (for larger maxInput) 8, 10, 12, 14 regions with one ring of small squares, then 17, 21, 25…
 * (4·div − 3) with two — OWT's lecture layouts, continued past 25.
 */
export function lectureTemplates(maxInput: number): LayoutTemplate[] {
  const out: LayoutTemplate[] = [
    { region: [square(1, 0, 0, 1, 1)] },
    {
      region: [
        square(1, 0, 0, 2, 3),
        square(2, 2, 0, 1, 3),
        square(3, 2, 1, 1, 3),
        square(4, 2, 2, 1, 3),
        square(5, 1, 2, 1, 3),
        square(6, 0, 2, 1, 3),
      ],
    },
  ];
  if (maxInput <= 6) return out;
  // One ring: primary (div-1)/div, then the right column top to bottom, then the bottom row right to left.
  const oneRingMax = Math.min(7, Math.ceil(maxInput / 2));
  for (let div = 4; div <= oneRingMax; div++) {
    const main = div - 1;
    const region = [square(1, 0, 0, main, div)];
    let id = 2;
    for (let y = 0; y < div; y++) region.push(square(id++, main, y, 1, div));
    for (let x = div - 2; x >= 0; x--) region.push(square(id++, x, main, 1, div));
    out.push({ region });
  }
  if (maxInput <= 14) return out;
  // Two rings: primary (div-2)/div, inner ring, then outer ring. Unlike OWT (which stops at 25)
  // this goes on as far as maxInput needs, so every input gets a region.
  const twoRingMax = Math.ceil((maxInput + 3) / 4);
  for (let div = 5; div <= twoRingMax; div++) {
    const main = div - 2;
    const region = [square(1, 0, 0, main, div)];
    let id = 2;
    for (let y = 0; y < div - 1; y++) region.push(square(id++, main, y, 1, div));
    for (let x = div - 3; x >= 0; x--) region.push(square(id++, x, main, 1, div));
    for (let y = 0; y < div; y++) region.push(square(id++, div - 1, y, 1, div));
    for (let x = div - 2; x >= 0; x--) region.push(square(id++, x, div - 1, 1, div));
    out.push({ region });
  }
  return out;
}

/**
 * The templates of a view, ordered by region count: the base ones with each custom template
 * replacing the base one of the same region count, or inserted where its count fits.
 */
export function buildTemplates(
  base: BaseTemplate,
  maxInput: number,
  custom: readonly LayoutTemplate[] = [],
): LayoutTemplate[] {
  const templates =
    base === 'fluid' ? fluidTemplates(maxInput) : base === 'lecture' ? lectureTemplates(maxInput) : [];
  for (const tpl of custom) {
    const n = tpl.region.length;
    const at = templates.findIndex((t) => t.region.length >= n);
    if (at < 0) templates.push(tpl);
    else if (templates[at]!.region.length === n) templates[at] = tpl;
    else templates.splice(at, 0, tpl);
  }
  return templates;
}
