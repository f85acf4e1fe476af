import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { VideoNodeStats } from '../../../agents/video/protocol.js';
import { VideoService } from '../../../agents/video/video-service.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { ScriptedSource, solidFrames } from './video-test-support.js';

const SPEC = {
  resolution: { width: 320, height: 180 },
  framerate: 10,
  layout: {
    base: 'fluid',
    fitPolicy: 'letterbox',
    maxInput: 4,
    bgColor: { r: 0, g: 0, b: 0 },
    keepActiveInputPrimary: true,
  },
};
const OUT = {
  codec: 'vp8',
  resolution: { width: 320, height: 180 },
  framerate: 10,
  bitrate: 300,
  keyFrameInterval: 2,
};

/** The RPC methods of agents/video/protocol.ts refuse bad arguments and change nothing. */
describe('video node RPC handlers: validation', () => {
  const router = new MediaRouter();
  const service = new VideoService(router);
  const h = service.handlers() as Record<string, (...args: unknown[]) => unknown>;
  const call = async (method: string, ...args: unknown[]) => await h[method]!(...args);
  after(async () => {
    await service.close();
    router.close();
  });

  it('initMixer and generate validate their specs', async () => {
    const bad = [
      { ...SPEC, resolution: { width: 8, height: 180 } },
      { ...SPEC, resolution: { width: 320.5, height: 180 } },
      { ...SPEC, framerate: 0 },
      { ...SPEC, layout: { ...SPEC.layout, base: 'grid' } },
      { ...SPEC, layout: { ...SPEC.layout, maxInput: 0 } },
      { ...SPEC, layout: { ...SPEC.layout, bgColor: { r: 300, g: 0, b: 0 } } },
      {
        ...SPEC,
        layout: {
          ...SPEC.layout,
          custom: [
            { region: [{ id: '1', shape: 'rectangle', area: { left: '3/2', top: 0, width: 1, height: 1 } }] },
          ],
        },
      },
      { ...SPEC, extra: true },
    ];
    for (const spec of bad) await assert.rejects(call('initMixer', 'm1', spec), { name: 'ValidationError' });
    await assert.rejects(call('initMixer', '', SPEC), { name: 'ValidationError' });
    assert.deepEqual(service.stats().mixers, []);
    await call('initMixer', 'm1', SPEC);
    await call('initMixer', 'm1', SPEC);
    assert.equal(service.stats().mixers.length, 1);
    for (const spec of [
      { ...OUT, codec: 'h265' },
      { ...OUT, resolution: { width: 100, height: 7 } },
      { ...OUT, bitrate: 0 },
      { ...OUT, keyFrameInterval: -1 },
    ]) {
      await assert.rejects(call('generate', 'm1', spec), { name: 'ValidationError' });
    }
    await assert.rejects(call('generate', 'nope', OUT), { name: 'NotFoundError' });
    assert.deepEqual(router.streams(), []);
  });

  it('input, region and layout calls name what is unknown and change nothing', async () => {
    router.publish('cam', new ScriptedSource(await solidFrames(160, 120, [82, 90, 240], 2)));
    await assert.rejects(call('addInput', 'nope', 'cam'), { name: 'NotFoundError', message: /mixer nope/ });
    await assert.rejects(call('addInput', 'm1', 'ghost'), { name: 'NotFoundError', message: /stream ghost/ });
    await assert.rejects(call('addInput', 'm1', 42), { name: 'ValidationError' });
    await assert.rejects(
      call('addInput', 'nope', 42),
      { name: 'ValidationError' },
      'arguments before lookups',
    );
    assert.deepEqual(service.stats().mixers[0]!.inputs, []);
    assert.deepEqual(router.subscriptionList(), []);
    const layout = (await call('addInput', 'm1', 'cam')) as { layout: { stream: string }[] };
    assert.deepEqual(
      layout.layout.map((a) => a.stream),
      ['cam'],
    );
    assert.deepEqual(await call('addInput', 'm1', 'cam'), layout, 'idempotent');
    await assert.rejects(call('setRegion', 'm1', 'cam', '7'), {
      name: 'ValidationError',
      message: /region 7/,
    });
    await assert.rejects(call('setRegion', 'm1', 'cam', 7), { name: 'ValidationError' });
    await assert.rejects(call('setRegion', 'm1', 'other', '1'), { name: 'NotFoundError' });
    await assert.rejects(call('setActiveInput', 'm1', 'other'), { name: 'NotFoundError' });
    await assert.rejects(call('getRegion', 'm1', 'other'), { name: 'NotFoundError' });
    await assert.rejects(call('setLayout', 'm1', [{ stream: 'cam' }]), { name: 'ValidationError' });
    await assert.rejects(call('setLayout', 'm1', [{ stream: 'other', region: '1' }]), {
      name: 'NotFoundError',
    });
    assert.deepEqual(await call('getRegion', 'm1', 'cam'), { region: '1' });
    // OWT's info.layout entries carry the region object: its id is used.
    const replaced = await call('setLayout', 'm1', [
      { stream: 'cam', region: { id: '1', shape: 'rectangle' } },
    ]);
    assert.deepEqual(replaced, layout);
    await assert.rejects(call('removeInput', 'm1', 'other'), { name: 'NotFoundError' });
    await assert.rejects(call('degenerate', 'm1', 'm1/v/none'), { name: 'NotFoundError' });
    assert.deepEqual(service.stats().mixers[0]!.inputs, ['cam']);
  });

  it('generate is idempotent per spec; destroyMixer releases everything', async () => {
    const a = (await call('generate', 'm1', OUT)) as { streamId: string };
    const b = (await call('generate', 'm1', OUT)) as { streamId: string };
    assert.equal(a.streamId, b.streamId);
    assert.ok(router.hasStream(a.streamId));
    const stats = (await call('getVideoStats')) as VideoNodeStats;
    assert.deepEqual(
      stats.mixers[0]!.outputs.map((o) => o.streamId),
      [a.streamId],
    );
    await assert.rejects(call('transcode', 't1', 'ghost', OUT), { name: 'NotFoundError' });
    await assert.rejects(call('transcode', 't1', 'cam', { ...OUT, codec: 'av1' }), {
      name: 'ValidationError',
    });
    assert.equal(router.hasStream('t1'), false);
    await assert.rejects(call('stopTranscode', 't1'), { name: 'NotFoundError' });
    await assert.rejects(call('destroyMixer', 'nope'), { name: 'NotFoundError' });
    await call('destroyMixer', 'm1');
    assert.deepEqual(service.stats().mixers, []);
    assert.deepEqual(
      router.streams().map((s) => s.streamId),
      ['cam'],
    );
    assert.deepEqual(router.subscriptionList(), []);
  });
});
