import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignRegions,
  type BaseTemplate,
  buildTemplates,
  chooseTemplate,
  type FitPolicy,
  fitInto,
  fluidTemplates,
  type LayoutSpec,
  type LayoutTemplate,
  lectureTemplates,
  type PixelRect,
  parseFraction,
  planComposition,
  type Region,
  regionToPixels,
  rgbToYuv,
} from '../../../agents/video/layout/index.js';
import { ValidationError } from '../../../common/errors.js';

const CANVASES: Array<[number, number]> = [
  [1280, 720],
  [640, 480],
  [642, 362], // not divisible by 3, 4, 5…: rounding must still tile
  [176, 144],
];

function isEvenRect(r: PixelRect): boolean {
  return r.x % 2 === 0 && r.y % 2 === 0 && r.width % 2 === 0 && r.height % 2 === 0;
}

function inside(inner: PixelRect, outer: PixelRect): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

function overlap(a: PixelRect, b: PixelRect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** The regions of a base template tile the canvas: no overlap, no gap, every edge even. */
function assertTiles(template: LayoutTemplate, width: number, height: number, label: string): void {
  const rects = template.region.map((r) => regionToPixels(r, width, height));
  let area = 0;
  for (const [i, r] of rects.entries()) {
    assert.ok(isEvenRect(r), `${label}: region ${i + 1} even`);
    assert.ok(inside(r, { x: 0, y: 0, width, height }), `${label}: region ${i + 1} inside the canvas`);
    assert.ok(r.width > 0 && r.height > 0, `${label}: region ${i + 1} not empty`);
    area += r.width * r.height;
    for (let j = 0; j < i; j++)
      assert.equal(overlap(r, rects[j]!), 0, `${label}: regions ${j + 1} and ${i + 1} overlap`);
  }
  assert.equal(area, width * height, `${label}: regions cover the canvas`);
}

function streams(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `s${i + 1}`);
}

describe('layout fractions', () => {
  it('parses fraction strings and numbers, refuses the rest', () => {
    assert.deepEqual(parseFraction('1/3'), { num: 1, den: 3 });
    assert.deepEqual(parseFraction('0'), { num: 0, den: 1 });
    assert.deepEqual(parseFraction('1'), { num: 1, den: 1 });
    assert.deepEqual(parseFraction(0.25), { num: 0.25, den: 1 });
    for (const bad of ['4/3', '1/0', 'a/b', '-1/2', '', 1.5, -0.1, Number.NaN]) {
      assert.throws(() => parseFraction(bad), ValidationError, `refuses ${String(bad)}`);
    }
  });
});

describe('base templates', () => {
  it('fluid: n x n grids up to the smallest square holding maxInput', () => {
    for (let maxInput = 1; maxInput <= 100; maxInput++) {
      const templates = fluidTemplates(maxInput);
      const side = Math.ceil(Math.sqrt(maxInput));
      assert.deepEqual(
        templates.map((t) => t.region.length),
        Array.from({ length: side }, (_, i) => (i + 1) ** 2),
        `maxInput ${maxInput}`,
      );
    }
    assert.deepEqual(fluidTemplates(4)[1]!.region[3]!.area, {
      left: '1/2',
      top: '1/2',
      width: '1/2',
      height: '1/2',
    });
  });

  it('lecture: 1 and 6 regions, then one ring (8–14), then two rings (17, 21, 25, … up to maxInput)', () => {
    assert.deepEqual(
      lectureTemplates(6).map((t) => t.region.length),
      [1, 6],
    );
    assert.deepEqual(
      lectureTemplates(14).map((t) => t.region.length),
      [1, 6, 8, 10, 12, 14],
    );
    assert.deepEqual(
      lectureTemplates(25).map((t) => t.region.length),
      [1, 6, 8, 10, 12, 14, 17, 21, 25],
    );
    const t6 = lectureTemplates(6)[1]!;
    assert.deepEqual(t6.region[0]!.area, { left: '0', top: '0', width: '2/3', height: '2/3' });
    for (let maxInput = 1; maxInput <= 120; maxInput++) {
      const counts = lectureTemplates(maxInput).map((t) => t.region.length);
      assert.ok(counts[counts.length - 1]! >= maxInput, `lecture ${maxInput} holds every input`);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        'ordered by region count',
      );
    }
  });

  it('every base template tiles the canvas exactly, for odd-ratio canvases too', () => {
    for (const [w, h] of CANVASES) {
      for (const t of fluidTemplates(49)) assertTiles(t, w, h, `fluid ${t.region.length} @${w}x${h}`);
      for (const t of lectureTemplates(60)) assertTiles(t, w, h, `lecture ${t.region.length} @${w}x${h}`);
    }
  });

  it('the primary region is the largest one', () => {
    const area = (r: Region) => {
      const w = parseFraction(r.area.width);
      const h = parseFraction(r.area.height);
      return (w.num * h.num) / (w.den * h.den);
    };
    for (const t of [...fluidTemplates(25), ...lectureTemplates(40)]) {
      const first = area(t.region[0]!);
      assert.ok(t.region.every((r) => area(r) <= first + 1e-12));
    }
  });

  it('custom templates replace the base one with as many regions, or are inserted by count', () => {
    const custom = (n: number): LayoutTemplate => ({
      region: Array.from(
        { length: n },
        (_, i): Region => ({
          id: `c${i + 1}`,
          shape: 'rectangle',
          area: { left: 0, top: `${i}/${n}`, width: 1, height: `1/${n}` },
        }),
      ),
    });
    const ts = buildTemplates('fluid', 9, [custom(4), custom(2)]);
    assert.deepEqual(
      ts.map((t) => t.region.length),
      [1, 2, 4, 9],
    );
    assert.equal(ts[2]!.region[0]!.id, 'c1', 'custom 4 replaced the 2x2 grid');
    assert.equal(ts[1]!.region[0]!.id, 'c1', 'custom 2 inserted');
    const big = buildTemplates('lecture', 6, [custom(12)]);
    assert.deepEqual(
      big.map((t) => t.region.length),
      [1, 6, 12],
    );
    assert.deepEqual(buildTemplates('void', 16), [], 'void has no base template');
    assert.deepEqual(
      buildTemplates('void', 16, [custom(3)]).map((t) => t.region.length),
      [3],
    );
  });
});

describe('region assignment', () => {
  for (const base of ['fluid', 'lecture'] as BaseTemplate[]) {
    it(`${base}: every input count from 1 to maxInput gets distinct regions of the smallest fitting template`, () => {
      for (const maxInput of [1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 16, 17, 25, 30]) {
        const templates = buildTemplates(base, maxInput);
        for (let n = 1; n <= maxInput + 2; n++) {
          const placed = assignRegions(templates, {
            inputs: streams(n),
            maxInput,
            keepActiveInputPrimary: false,
          });
          const shown = Math.min(n, maxInput);
          assert.equal(placed.length, shown, `${base} max ${maxInput} n ${n}`);
          assert.deepEqual(
            placed.map((p) => p.stream).sort(),
            streams(shown).sort(),
            'the first inputs are shown',
          );
          assert.equal(new Set(placed.map((p) => p.region.id)).size, shown, 'regions distinct');
          const chosen = chooseTemplate(templates, shown)!;
          assert.ok(chosen.region.length >= shown);
          const smaller = templates.filter((t) => t.region.length < chosen.region.length);
          assert.ok(
            smaller.every((t) => t.region.length < shown),
            'no smaller template would do',
          );
          assert.equal(placed[0]!.stream, 's1', 'first input primary');
          assert.equal(placed[0]!.region.id, chosen.region[0]!.id);
        }
      }
    });
  }

  it('keepActiveInputPrimary puts the active input in the primary region, even past maxInput', () => {
    const templates = buildTemplates('lecture', 4);
    const inputs = streams(6);
    const a = assignRegions(templates, {
      inputs,
      maxInput: 6,
      activeInput: 's4',
      keepActiveInputPrimary: true,
    });
    assert.equal(a[0]!.stream, 's4');
    assert.equal(a[0]!.region.id, '1');
    const b = assignRegions(buildTemplates('fluid', 4), {
      inputs,
      maxInput: 4,
      activeInput: 's6',
      keepActiveInputPrimary: true,
    });
    assert.equal(b.length, 4);
    assert.equal(b[0]!.stream, 's6', 'active input shown although it joined after maxInput');
    const c = assignRegions(templates, {
      inputs,
      maxInput: 6,
      activeInput: 's4',
      keepActiveInputPrimary: false,
    });
    assert.equal(c[0]!.stream, 's1', 'without the option the mix order holds');
  });

  it('pinned inputs keep their region; the others fill the rest', () => {
    const templates = buildTemplates('fluid', 4);
    const placed = assignRegions(templates, {
      inputs: streams(4),
      maxInput: 4,
      keepActiveInputPrimary: false,
      pinned: new Map([
        ['s3', '1'],
        ['s1', '4'],
        ['s2', 'no-such-region'],
      ]),
    });
    const regionOf = new Map(placed.map((p) => [p.stream, p.region.id]));
    assert.equal(regionOf.get('s3'), '1');
    assert.equal(regionOf.get('s1'), '4');
    assert.deepEqual(new Set(regionOf.values()), new Set(['1', '2', '3', '4']));
  });

  it('no template (void without custom) or maxInput 0 places nothing', () => {
    assert.deepEqual(
      assignRegions([], { inputs: streams(3), maxInput: 3, keepActiveInputPrimary: true }),
      [],
    );
    assert.deepEqual(
      assignRegions(fluidTemplates(4), { inputs: streams(3), maxInput: 0, keepActiveInputPrimary: false }),
      [],
    );
  });
});

describe('fit policies', () => {
  const inputs: Array<[number, number]> = [
    [640, 480],
    [1280, 720],
    [641, 479],
    [480, 640],
    [3, 3],
    [1920, 1080],
    [352, 288],
    [100, 1000],
  ];
  const regions: PixelRect[] = [
    { x: 0, y: 0, width: 1280, height: 720 },
    { x: 426, y: 240, width: 428, height: 240 },
    { x: 2, y: 4, width: 2, height: 2 },
    { x: 852, y: 0, width: 428, height: 480 },
  ];

  for (const policy of ['letterbox', 'crop'] as FitPolicy[]) {
    it(`${policy}: even rectangles inside the input and the region, aspect kept`, () => {
      for (const [w, h] of inputs) {
        for (const region of regions) {
          const fit = fitInto(w, h, region, policy);
          assert.ok(fit, `${w}x${h} into ${JSON.stringify(region)}`);
          assert.ok(isEvenRect(fit.crop) && isEvenRect(fit.dest), 'even');
          assert.ok(inside(fit.dest, region), 'dest inside the region');
          assert.ok(inside(fit.crop, { x: 0, y: 0, width: w, height: h }), 'crop inside the input');
          const srcAspect = fit.crop.width / fit.crop.height;
          const dstAspect = fit.dest.width / fit.dest.height;
          // Even rounding moves an edge by at most 2 px; allow for it relative to the smaller side.
          const tolerance =
            2 / Math.min(fit.crop.width, fit.crop.height) + 2 / Math.min(fit.dest.width, fit.dest.height);
          const degenerate = Math.min(fit.dest.width, fit.dest.height, fit.crop.width, fit.crop.height) <= 2;
          if (!degenerate) {
            assert.ok(Math.abs(Math.log(srcAspect / dstAspect)) <= tolerance * 1.5 + 1e-9, 'aspect kept');
          }
          if (policy === 'letterbox') {
            assert.deepEqual(
              { w: fit.crop.width, h: fit.crop.height },
              { w: w - (w % 2), h: h - (h % 2) },
              'whole input',
            );
            assert.ok(
              region.width - fit.dest.width <= 2 || region.height - fit.dest.height <= 2,
              'touches two sides of the region',
            );
            const left = fit.dest.x - region.x;
            const right = region.x + region.width - (fit.dest.x + fit.dest.width);
            const top = fit.dest.y - region.y;
            const bottom = region.y + region.height - (fit.dest.y + fit.dest.height);
            assert.ok(Math.abs(left - right) <= 2 && Math.abs(top - bottom) <= 2, 'centred');
          } else {
            assert.deepEqual(fit.dest, region, 'fills the region');
            const left = fit.crop.x;
            const right = w - (w % 2) - (fit.crop.x + fit.crop.width);
            assert.ok(Math.abs(left - right) <= 2, 'cut evenly');
          }
        }
      }
    });
  }

  it('letterbox of 4:3 into 16:9 leaves side bars; crop of 4:3 into 16:9 cuts top and bottom', () => {
    const region = { x: 0, y: 0, width: 1280, height: 720 };
    assert.deepEqual(fitInto(640, 480, region, 'letterbox'), {
      crop: { x: 0, y: 0, width: 640, height: 480 },
      dest: { x: 160, y: 0, width: 960, height: 720 },
    });
    assert.deepEqual(fitInto(640, 480, region, 'crop'), {
      crop: { x: 0, y: 60, width: 640, height: 360 },
      dest: region,
    });
  });

  it('nothing to draw for inputs or regions under 2x2', () => {
    assert.equal(fitInto(0, 0, { x: 0, y: 0, width: 100, height: 100 }, 'letterbox'), null);
    assert.equal(fitInto(1, 100, { x: 0, y: 0, width: 100, height: 100 }, 'crop'), null);
    assert.equal(fitInto(100, 100, { x: 0, y: 0, width: 0, height: 100 }, 'crop'), null);
  });
});

describe('composition plan', () => {
  const spec = (base: BaseTemplate, fitPolicy: FitPolicy): LayoutSpec => ({
    base,
    fitPolicy,
    maxInput: 16,
    bgColor: { r: 0, g: 0, b: 0 },
    keepActiveInputPrimary: true,
  });

  it('lays out every input of every count, layers inside their regions, background from bgColor', () => {
    for (const base of ['fluid', 'lecture'] as BaseTemplate[]) {
      for (const policy of ['letterbox', 'crop'] as FitPolicy[]) {
        for (let n = 1; n <= 16; n++) {
          const plan = planComposition({
            spec: spec(base, policy),
            canvasWidth: 1280,
            canvasHeight: 720,
            inputs: streams(n).map((stream, i) => ({ stream, width: 320 + 2 * i, height: 240 + i })),
          });
          assert.equal(plan.layers.length, n);
          for (const layer of plan.layers) {
            assert.ok(inside(layer.dest, layer.region));
            assert.ok(inside(layer.region, { x: 0, y: 0, width: 1280, height: 720 }));
          }
          for (let i = 0; i < plan.layers.length; i++) {
            for (let j = 0; j < i; j++) assert.equal(overlap(plan.layers[i]!.dest, plan.layers[j]!.dest), 0);
          }
        }
      }
    }
    const plan = planComposition({
      spec: spec('fluid', 'crop'),
      canvasWidth: 640,
      canvasHeight: 480,
      inputs: [],
    });
    assert.deepEqual(plan.background, [16, 128, 128], 'black in limited-range YUV');
    assert.deepEqual(plan.layers, []);
  });

  it('an input without a picture yet keeps its region in the layout but draws nothing', () => {
    const plan = planComposition({
      spec: spec('fluid', 'letterbox'),
      canvasWidth: 640,
      canvasHeight: 480,
      inputs: [
        { stream: 'a', width: 0, height: 0 },
        { stream: 'b', width: 320, height: 240 },
      ],
    });
    assert.equal(plan.layout.length, 2);
    assert.deepEqual(
      plan.layers.map((l) => l.stream),
      ['b'],
    );
  });

  it('rgbToYuv: white, black and pure colours in BT.601 limited range', () => {
    assert.deepEqual(rgbToYuv({ r: 255, g: 255, b: 255 }), [235, 128, 128]);
    assert.deepEqual(rgbToYuv({ r: 0, g: 0, b: 0 }), [16, 128, 128]);
    const [, u, v] = rgbToYuv({ r: 255, g: 0, b: 0 });
    assert.ok(v > 200 && u < 128, 'red: high V');
  });
});
