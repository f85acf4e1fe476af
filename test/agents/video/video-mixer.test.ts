import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type LayoutSpec, planComposition, rgbToYuv } from '../../../agents/video/layout/index.js';
import type { VideoMixerSpec, VideoOutputSpec } from '../../../agents/video/protocol.js';
import { VideoMixer } from '../../../agents/video/video-mixer.js';
import { KEYFRAME_REQUEST } from '../../../common/media/media-feedback.js';
import type { VideoFrame } from '../../../common/media/media-frame.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  CaptureSink,
  lastPicture,
  meanYuv,
  near,
  ScriptedSource,
  sleep,
  solidFrames,
  type Yuv,
} from './video-test-support.js';

const W = 640;
const H = 360;
const COLOURS: Yuv[] = [
  rgbToYuv({ r: 255, g: 0, b: 0 }),
  rgbToYuv({ r: 0, g: 255, b: 0 }),
  rgbToYuv({ r: 0, g: 0, b: 255 }),
  rgbToYuv({ r: 255, g: 255, b: 0 }),
];
const BG = { r: 128, g: 128, b: 128 };

function mixerSpec(layout: Partial<LayoutSpec> = {}): VideoMixerSpec {
  return {
    resolution: { width: W, height: H },
    framerate: 15,
    layout: {
      base: 'fluid',
      fitPolicy: 'crop',
      maxInput: 16,
      bgColor: BG,
      keepActiveInputPrimary: false,
      ...layout,
    },
  };
}

const OUTPUT: VideoOutputSpec = {
  codec: 'vp8',
  resolution: { width: W, height: H },
  framerate: 15,
  bitrate: 800,
  keyFrameInterval: 100,
};

/** A router with a mixer whose inputs are solid-colour VP8 streams. */
class Rig {
  readonly router = new MediaRouter();
  readonly sources: ScriptedSource[] = [];
  readonly mixer: VideoMixer;
  readonly sink = new CaptureSink();

  constructor(spec: VideoMixerSpec) {
    this.mixer = new VideoMixer('mixer-1', spec, this.router);
  }

  async addInputs(count: number, size: [number, number] = [320, 240]): Promise<void> {
    for (let i = this.sources.length; i < count; i++) {
      const source = new ScriptedSource(await solidFrames(size[0], size[1], COLOURS[i]!, 10));
      this.router.publish(`in-${i}`, source);
      this.sources.push(source);
      this.mixer.addInput(`in-${i}`);
    }
  }

  generate(spec: VideoOutputSpec = OUTPUT): string {
    const id = this.mixer.generate(spec);
    if (!this.router.subscriptionList().some((s) => s.subscriptionId === 'capture')) {
      this.router.subscribe('capture', this.sink);
    }
    this.router.linkup('capture', id);
    return id;
  }

  /** Waits for every input to show a picture, then for `frames` more output frames. */
  async settle(frames = 8): Promise<void> {
    await waitUntil(() => this.mixer.stats().inputs.every((i) => i.hasPicture), 5000, 'input pictures');
    const seen = this.sink.frames.length;
    await waitUntil(() => this.sink.frames.length >= seen + frames, 5000, `${frames} output frames`);
  }

  /** Where planComposition puts each input (the sizes of their pictures are known). */
  plan(spec: VideoMixerSpec, inputSize: [number, number] = [320, 240]) {
    return planComposition({
      spec: spec.layout,
      canvasWidth: W,
      canvasHeight: H,
      inputs: this.mixer
        .layout()
        .layout.map((a) => ({ stream: a.stream, width: inputSize[0], height: inputSize[1] })),
      pinned: new Map(this.mixer.layout().layout.map((a) => [a.stream, a.region.id])),
    });
  }

  async close(): Promise<void> {
    for (const s of this.sources) s.stop();
    await this.mixer.destroy();
    this.router.close();
  }
}

async function assertColoursInRegions(rig: Rig, spec: VideoMixerSpec, frames: readonly VideoFrame[]) {
  const picture = await lastPicture(frames);
  assert.equal(picture.width, W);
  assert.equal(picture.height, H);
  const plan = rig.plan(spec);
  assert.equal(plan.layers.length, rig.sources.length);
  for (const layer of plan.layers) {
    const expected = COLOURS[Number(layer.stream.split('-')[1])]!;
    const got = meanYuv(picture, layer.dest);
    assert.ok(near(got, expected), `${layer.stream} in region ${layer.regionId}: ${got} vs ${expected}`);
  }
  return { picture, plan };
}

describe('VideoMixer with real VP8 inputs', () => {
  const rigs: Rig[] = [];
  const rig = (spec: VideoMixerSpec) => {
    const r = new Rig(spec);
    rigs.push(r);
    return r;
  };
  after(async () => {
    for (const r of rigs) await r.close();
  });

  for (const count of [1, 2, 4]) {
    it(`fluid with ${count} input(s): each colour lands in its region`, async () => {
      const spec = mixerSpec();
      const r = rig(spec);
      await r.addInputs(count);
      const outputId = r.generate();
      await r.settle();
      const { picture, plan } = await assertColoursInRegions(r, spec, r.sink.frames);
      // Regions of the template left empty show the background.
      if (count === 2) {
        const empty = { x: W / 2, y: H / 2, width: W / 2, height: H / 2 };
        assert.ok(near(meanYuv(picture, empty), rgbToYuv(BG)), 'an empty region shows bgColor');
      }
      assert.equal(plan.layout.length, count);
      const stats = r.mixer.stats();
      assert.equal(stats.outputs[0]!.streamId, outputId);
      assert.ok(stats.outputs[0]!.frames > 0);
      // Output timestamps increase; the first frame is a keyframe carrying its size.
      const ts = r.sink.frames.map((f) => f.timestamp);
      assert.ok(
        ts.every((t, i) => i === 0 || t > ts[i - 1]!),
        'timestamps increase',
      );
      assert.ok(r.sink.frames[0]!.keyframe);
      assert.equal(r.sink.frames[0]!.width, W);
      await r.close();
      rigs.splice(rigs.indexOf(r), 1);
    });
  }

  it('setRegion moves an input; the layout it returns says so; bad regions change nothing', async () => {
    const spec = mixerSpec();
    const r = rig(spec);
    await r.addInputs(2);
    r.generate();
    await r.settle();
    const before = r.mixer.layout();
    assert.deepEqual(
      before.layout.map((a) => [a.stream, a.region.id]),
      [
        ['in-0', '1'],
        ['in-1', '2'],
      ],
    );
    assert.throws(() => r.mixer.setRegion('in-0', '9'), { name: 'ValidationError' });
    assert.throws(() => r.mixer.setRegion('nope', '1'), { name: 'NotFoundError' });
    assert.deepEqual(r.mixer.layout(), before);
    const moved = r.mixer.setRegion('in-0', '4');
    assert.equal(moved.layout.find((a) => a.stream === 'in-0')?.region.id, '4');
    assert.deepEqual(r.mixer.getRegion('in-0'), { region: '4' });
    // Unpinned inputs fill the free regions in order: in-1 moved up to region 1.
    assert.equal(moved.layout.find((a) => a.stream === 'in-1')?.region.id, '1');
    // Swap: moving in-0 to region 1 sends in-1 to in-0's old region 4.
    const swapped = r.mixer.setRegion('in-0', '1');
    assert.deepEqual(swapped.layout.map((a) => [a.stream, a.region.id]).sort(), [
      ['in-0', '1'],
      ['in-1', '4'],
    ]);
    const seen = r.sink.frames.length;
    await waitUntil(() => r.sink.frames.length >= seen + 5, 5000, 'frames after the move');
    await assertColoursInRegions(r, spec, r.sink.frames);
    const viaLayout = r.mixer.setLayout([
      { stream: 'in-0', region: '3' },
      { stream: 'in-1', region: '1' },
    ]);
    assert.deepEqual(viaLayout.layout.map((a) => [a.stream, a.region.id]).sort(), [
      ['in-0', '3'],
      ['in-1', '1'],
    ]);
    assert.throws(
      () =>
        r.mixer.setLayout([
          { stream: 'in-0', region: '2' },
          { stream: 'in-1', region: '2' },
        ]),
      { name: 'ValidationError' },
    );
    assert.deepEqual(r.mixer.layout(), viaLayout);
  });

  it('letterbox shows the background beside a 4:3 input, crop fills the canvas', async () => {
    for (const fitPolicy of ['letterbox', 'crop'] as const) {
      const spec = mixerSpec({ fitPolicy });
      const r = rig(spec);
      await r.addInputs(1);
      r.generate();
      await r.settle();
      const { picture, plan } = await assertColoursInRegions(r, spec, r.sink.frames);
      const bar = { x: 0, y: 0, width: 64, height: H };
      const barColour = meanYuv(picture, bar);
      if (fitPolicy === 'letterbox') {
        assert.deepEqual(plan.layers[0]!.dest, { x: 80, y: 0, width: 480, height: 360 });
        assert.ok(near(barColour, rgbToYuv(BG)), `bar ${barColour}`);
      } else {
        assert.ok(near(barColour, COLOURS[0]!), `edge ${barColour}`);
      }
    }
  });

  it('a stalled input keeps its last picture while the others move on', async () => {
    const spec = mixerSpec();
    const r = rig(spec);
    await r.addInputs(2);
    r.sources[1]!.answerKeyframeRequests = true;
    r.sources[0]!.play(15);
    r.generate();
    await r.settle();
    // Input 1 sent one keyframe and nothing since; input 0 keeps playing.
    r.sources[1]!.answerKeyframeRequests = false;
    const decodedBefore = r.mixer.stats().inputs[1]!.stats.framesDecoded;
    const seen = r.sink.frames.length;
    await sleep(1200);
    assert.ok(r.sink.frames.length >= seen + 10, 'the mix goes on');
    assert.equal(r.mixer.stats().inputs[1]!.stats.framesDecoded, decodedBefore, 'input 1 is stalled');
    await assertColoursInRegions(r, spec, r.sink.frames);
  });

  it('decodes nothing without an output, and stops again when the last output goes', async () => {
    const spec = mixerSpec();
    const r = rig(spec);
    await r.addInputs(2);
    for (const s of r.sources) s.play(30);
    await sleep(500);
    let stats = r.mixer.stats();
    assert.ok(
      stats.inputs.every((i) => i.stats.framesReceived > 5),
      'frames arrive',
    );
    assert.ok(
      stats.inputs.every((i) => i.stats.framesDecoded === 0 && !i.active),
      'nothing decoded',
    );
    assert.equal(stats.composedFrames, 0);
    const requestsBefore = r.sources.map((s) => s.keyframeRequests);
    const outputId = r.generate();
    await r.settle(3);
    // The first output asked every input for a keyframe.
    for (const [i, s] of r.sources.entries()) assert.ok(s.keyframeRequests > requestsBefore[i]!);
    stats = r.mixer.stats();
    assert.ok(stats.inputs.every((i) => i.stats.framesDecoded > 0 && i.active));
    await r.mixer.degenerate(outputId);
    await sleep(100);
    const decoded = r.mixer.stats().inputs.map((i) => i.stats.framesDecoded);
    const composed = r.mixer.stats().composedFrames;
    await sleep(400);
    assert.deepEqual(
      r.mixer.stats().inputs.map((i) => i.stats.framesDecoded),
      decoded,
    );
    assert.equal(r.mixer.stats().composedFrames, composed);
    assert.equal(r.router.hasStream(outputId), false);
  });

  it('a keyframe request on the output gives a keyframe; outputs of another size and codec are scaled', async () => {
    const spec = mixerSpec();
    const r = rig(spec);
    await r.addInputs(2);
    r.generate();
    await r.settle();
    const keyframesBefore = r.sink.frames.filter((f) => f.keyframe).length;
    await sleep(300);
    assert.equal(r.sink.frames.filter((f) => f.keyframe).length, keyframesBefore, 'no periodic keyframes');
    const at = r.sink.frames.length;
    r.sink.feedback!(KEYFRAME_REQUEST);
    await waitUntil(() => r.sink.frames.slice(at).some((f) => f.keyframe), 2000, 'a keyframe');
    const keyframe = r.sink.frames.slice(at).find((f) => f.keyframe)!;
    assert.ok(r.sink.frames.indexOf(keyframe) - at <= 2, 'within two frames');
    assert.equal(keyframe.width, W);

    // A subscriber's bandwidth estimate lowers the encoder's bitrate (once, within bounds).
    r.sink.feedback!({ type: 'target-bitrate', bps: 300_000 });
    r.sink.feedback!({ type: 'target-bitrate', bps: 290_000 });
    assert.equal(r.mixer.stats().outputs[0]!.bitrateBps, 300_000);

    const small = new CaptureSink();
    const smallId = r.mixer.generate({ ...OUTPUT, codec: 'h264', resolution: { width: 320, height: 180 } });
    assert.equal(
      r.mixer.generate({ ...OUTPUT, codec: 'h264', resolution: { width: 320, height: 180 } }),
      smallId,
    );
    r.router.subscribe('small', small);
    r.router.linkup('small', smallId);
    await waitUntil(() => small.frames.length >= 5, 5000, 'h264 frames');
    const picture = await lastPicture(small.frames);
    assert.equal(small.frames[0]!.codec, 'h264');
    assert.deepEqual([picture.width, picture.height], [320, 180]);
    assert.ok(near(meanYuv(picture, { x: 0, y: 0, width: 160, height: 90 }), COLOURS[0]!));
  });

  it('an input fed damaged frames keeps the mixer running and recovers on a good keyframe', async () => {
    const spec = mixerSpec();
    const r = rig(spec);
    await r.addInputs(2);
    r.generate();
    await r.settle();
    // The recovery keyframe has another colour, so the picture after it cannot be the kept one.
    const good = await solidFrames(320, 240, COLOURS[3]!, 2);
    const keyframe = good[0]!;
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const requestsBefore = r.sources[1]!.keyframeRequests;
    r.sources[1]!.answerKeyframeRequests = false;
    for (let i = 0; i < 60; i++) {
      const payload = new Uint8Array(keyframe.payload);
      // Truncated, bit-flipped or random keyframes and deltas.
      if (i % 3 === 0) for (let k = 0; k < 40; k++) payload[random() % payload.length] ^= 1 << (random() % 8);
      const damaged =
        i % 3 === 1
          ? payload.subarray(0, random() % payload.length)
          : i % 3 === 2
            ? Uint8Array.from({ length: 200 }, () => random() & 0xff)
            : payload;
      r.sources[1]!.push({ ...keyframe, keyframe: i % 2 === 0, payload: damaged });
      await sleep(10);
    }
    const seen = r.sink.frames.length;
    await waitUntil(() => r.sink.frames.length >= seen + 5, 5000, 'the mix goes on');
    const stats = r.mixer.stats().inputs[1]!.stats;
    assert.ok(stats.decodeErrors > 0, 'some frames failed to decode');
    assert.ok(r.sources[1]!.keyframeRequests > requestsBefore, 'the input was asked for a keyframe');
    const errors = stats.decodeErrors;
    r.sources[1]!.push(keyframe);
    await waitUntil(
      () => r.mixer.stats().inputs[1]!.stats.framesDecoded > stats.framesDecoded,
      2000,
      'decode',
    );
    const at = r.sink.frames.length;
    await waitUntil(() => r.sink.frames.length >= at + 3, 5000, 'frames after recovery');
    assert.equal(r.mixer.stats().inputs[1]!.stats.decodeErrors, errors);
    const picture = await lastPicture(r.sink.frames);
    const layer = r.plan(spec).layers.find((l) => l.stream === 'in-1')!;
    assert.ok(near(meanYuv(picture, layer.dest), COLOURS[3]!), 'the new keyframe shows');
    assert.ok(near(meanYuv(picture, r.plan(spec).layers[0]!.dest), COLOURS[0]!), 'input 0 unharmed');
  });
});
