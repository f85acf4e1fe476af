import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planComposition } from '../../agents/video/layout/index.js';
import {
  CodecError,
  Compositor,
  type I420Image,
  i420Planes,
  psnrI420,
  Scaler,
  solidI420,
} from '../../native/index.js';
import { testPattern } from './native-test-helpers.js';

/** Mean of a plane over a rectangle (luma coordinates; chroma planes use half of them). */
function meanIn(
  image: I420Image,
  plane: 'y' | 'u' | 'v',
  x: number,
  y: number,
  w: number,
  h: number,
): number {
  const p = i420Planes(image);
  const data = p[plane];
  const div = plane === 'y' ? 1 : 2;
  const stride = plane === 'y' ? p.strideY : p.strideUV;
  let sum = 0;
  let n = 0;
  for (let yy = y / div; yy < (y + h) / div; yy++) {
    for (let xx = x / div; xx < (x + w) / div; xx++) {
      sum += data[yy * stride + xx]!;
      n++;
    }
  }
  return sum / n;
}

describe('native scaler', () => {
  it('scales to the requested size and keeps the content', async (t) => {
    const scaler = new Scaler();
    t.after(() => scaler.close());
    const source = testPattern(640, 480, 3);
    const small = await scaler.scale(source, 320, 240);
    assert.equal(small.width, 320);
    assert.equal(small.height, 240);
    assert.equal(small.data.length, (320 * 240 * 3) / 2);
    // Down and up again is close to the original; a different pattern is not.
    const back = await scaler.scale(small, 640, 480);
    const psnr = psnrI420(back, source);
    assert.ok(psnr > 25, `round trip PSNR ${psnr.toFixed(1)} dB`);
    assert.ok(psnrI420(back, testPattern(640, 480, 40)) < psnr - 5);
    // A solid colour stays that colour at any size, odd ones included.
    const odd = await scaler.scale(solidI420(64, 48, [81, 90, 240]), 33, 17);
    assert.equal(odd.data.length, 33 * 17 + 2 * 17 * 9);
    assert.ok(Math.abs(meanIn(odd, 'y', 0, 0, 32, 16) - 81) < 1);
    assert.ok(Math.abs(meanIn(odd, 'v', 0, 0, 32, 16) - 240) < 1);
  });

  it('refuses data that does not match its size', async (t) => {
    const scaler = new Scaler();
    t.after(() => scaler.close());
    await assert.rejects(
      scaler.scale({ width: 64, height: 48, data: new Uint8Array(10) }, 32, 24),
      CodecError,
    );
  });
});

describe('native compositor', () => {
  it('puts each input’s pixels in its region, background elsewhere', async (t) => {
    const compositor = new Compositor();
    t.after(() => compositor.close());
    const colours: Array<[number, number, number]> = [
      [41, 240, 110],
      [81, 90, 240],
      [145, 54, 34],
      [210, 16, 146],
    ];
    // Inputs of different sizes and aspect ratios, as a mixer gets them.
    const sizes: Array<[number, number]> = [
      [640, 480],
      [320, 240],
      [1280, 720],
      [176, 144],
    ];
    const inputs = sizes.map(([w, h], i) => ({ stream: `s${i}`, image: solidI420(w, h, colours[i]!) }));
    for (const fitPolicy of ['crop', 'letterbox'] as const) {
      const plan = planComposition({
        spec: {
          base: 'fluid',
          fitPolicy,
          maxInput: 4,
          bgColor: { r: 0, g: 0, b: 0 },
          keepActiveInputPrimary: false,
        },
        canvasWidth: 1280,
        canvasHeight: 720,
        inputs: inputs.map((i) => ({ stream: i.stream, width: i.image.width, height: i.image.height })),
      });
      const images = new Map(inputs.map((i) => [i.stream, i.image]));
      const canvas = await compositor.compose(
        { width: plan.width, height: plan.height, background: plan.background },
        plan.layers.map((l) => ({ image: images.get(l.stream)!, crop: l.crop, dest: l.dest })),
      );
      assert.equal(canvas.data.length, (1280 * 720 * 3) / 2);
      for (const [i, layer] of plan.layers.entries()) {
        const [y, u, v] = colours[Number(layer.stream.slice(1))]!;
        const d = layer.dest;
        // Inner part of the destination (edges blend with bilinear scaling).
        const inner = [d.x + 4, d.y + 4, d.width - 8, d.height - 8] as const;
        assert.ok(Math.abs(meanIn(canvas, 'y', ...inner) - y) < 1.5, `${fitPolicy} layer ${i} Y`);
        assert.ok(Math.abs(meanIn(canvas, 'u', ...inner) - u) < 1.5, `${fitPolicy} layer ${i} U`);
        assert.ok(Math.abs(meanIn(canvas, 'v', ...inner) - v) < 1.5, `${fitPolicy} layer ${i} V`);
        if (fitPolicy === 'letterbox' && d.x > layer.region.x) {
          assert.equal(
            meanIn(canvas, 'y', layer.region.x, layer.region.y, d.x - layer.region.x, 2),
            16,
            'bar',
          );
        }
      }
      if (fitPolicy === 'crop') {
        assert.equal(plan.layers.length, 4);
      }
    }
  });

  it('copies a same-size layer exactly and keeps the pixels outside it', async (t) => {
    const compositor = new Compositor();
    t.after(() => compositor.close());
    const pattern = testPattern(64, 48, 1);
    const canvas = await compositor.compose({ width: 128, height: 96, background: [200, 100, 50] }, [
      {
        image: pattern,
        crop: { x: 16, y: 8, width: 32, height: 24 },
        dest: { x: 2, y: 4, width: 32, height: 24 },
      },
    ]);
    const c = i420Planes(canvas);
    const p = i420Planes(pattern);
    for (let y = 0; y < 24; y++) {
      for (let x = 0; x < 32; x++) assert.equal(c.y[(y + 4) * 128 + x + 2], p.y[(y + 8) * 64 + x + 16]);
    }
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 16; x++) assert.equal(c.u[(y + 2) * 64 + x + 1], p.u[(y + 4) * 32 + x + 8]);
    }
    assert.equal(c.y[0], 200);
    assert.equal(c.y[127 * 1 + 95 * 128], 200);
    assert.equal(c.u[0], 100);
    assert.equal(c.v[c.v.length - 1], 50);
  });

  it('refuses rectangles outside the canvas or the input, or odd ones', async (t) => {
    const compositor = new Compositor();
    t.after(() => compositor.close());
    const image = solidI420(64, 48, [1, 2, 3]);
    const canvas = { width: 128, height: 96, background: [0, 0, 0] as const };
    const full = { x: 0, y: 0, width: 64, height: 48 };
    await assert.rejects(
      compositor.compose(canvas, [{ image, crop: full, dest: { x: 100, y: 0, width: 64, height: 48 } }]),
      CodecError,
    );
    await assert.rejects(
      compositor.compose(canvas, [{ image, crop: { x: 2, y: 0, width: 64, height: 48 }, dest: full }]),
      CodecError,
    );
    await assert.rejects(
      compositor.compose(canvas, [{ image, crop: full, dest: { x: 1, y: 0, width: 64, height: 48 } }]),
      CodecError,
    );
  });
});
