import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { rgbToYuv } from '../../../agents/video/layout/index.js';
import type { MixerLayout, VideoNodeStats } from '../../../agents/video/protocol.js';
import type { LinkHub } from '../../../common/links/link-hub.js';
import { LinkSource } from '../../../common/links/link-source.js';
import { mediaPrimitiveHandlers } from '../../../common/media/media-primitive-handlers.js';
import type { MediaRouter } from '../../../common/media/media-router.js';
import type { LocalBus } from '../../../common/rpc/local-bus.js';
import { type NodeAgents, startNodeAgents } from '../../support/node-agents.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  CaptureSink,
  lastPicture,
  meanYuv,
  near,
  ScriptedSource,
  solidFrames,
} from './video-test-support.js';

/**
 * A video node process started by a real Agent on the all-in-one bus: two colour streams
 * arrive over an internal TCP link from the test's node, are mixed over RPC, and the mix comes
 * back over the same kind of link to be decoded here.
 */
describe('video node process mixing streams that arrive over internal links', () => {
  const secret = randomBytes(16).toString('hex');
  let env: NodeAgents;
  let bus: LocalBus;
  let router: MediaRouter;
  let hub: LinkHub;

  before(async () => {
    // Nodes inherit the agent's environment: this is how they learn the cluster secret.
    process.env.MEDIASPREAD__cluster__secret = secret;
    env = await startNodeAgents(['video'], { secret });
    ({ bus, router, hub } = env);
  });

  after(async () => {
    await env?.close();
    delete process.env.MEDIASPREAD__cluster__secret;
  });

  it('addInput, generate and the mixed stream decoded on the far side', async () => {
    const node = { id: env.nodeOf('video') };
    const info = await bus.call<{ role: string }>(node.id, 'info', []);
    assert.equal(info.role, 'video');
    const address = await bus.call<{ nodeId: string; host: string; port: number }>(
      node.id,
      'getLinkAddress',
      [],
    );
    const colours = [rgbToYuv({ r: 255, g: 0, b: 0 }), rgbToYuv({ r: 0, g: 0, b: 255 })];
    const primitives = mediaPrimitiveHandlers(router, hub);
    const sources: ScriptedSource[] = [];
    for (const [i, colour] of colours.entries()) {
      const source = new ScriptedSource(await solidFrames(320, 240, colour, 30));
      sources.push(source);
      router.publish(`cam-${i}`, source);
      // The conference's calls: the video node accepts the stream, this node sends it.
      await bus.call(node.id, 'publishInternal', [`cam-${i}`, { type: 'internal', fromNode: 'test-node' }]);
      primitives.subscribe(`to-video-${i}`, {
        type: 'internal',
        toNode: node.id,
        address: { host: address.host, port: address.port },
      });
      primitives.linkup(`to-video-${i}`, `cam-${i}`);
      source.play(15);
    }
    const spec = {
      resolution: { width: 640, height: 360 },
      framerate: 15,
      layout: {
        base: 'fluid',
        fitPolicy: 'crop',
        maxInput: 4,
        bgColor: { r: 0, g: 0, b: 0 },
        keepActiveInputPrimary: false,
      },
    };
    await bus.call(node.id, 'initMixer', ['view-common', spec]);
    await waitUntil(
      async () => {
        const stats = await bus.call<{ streams: { streamId: string; frames: number }[] }>(
          node.id,
          'getMediaStats',
          [],
        );
        return stats.streams.filter((s) => s.frames > 0).length === 2;
      },
      5000,
      'frames on the video node',
    );
    await bus.call<MixerLayout>(node.id, 'addInput', ['view-common', 'cam-0']);
    const layout = await bus.call<MixerLayout>(node.id, 'addInput', ['view-common', 'cam-1']);
    assert.deepEqual(
      layout.layout.map((a) => [a.stream, a.region.id]),
      [
        ['cam-0', '1'],
        ['cam-1', '2'],
      ],
    );
    await assert.rejects(bus.call(node.id, 'addInput', ['view-common', 'ghost']), { name: 'NotFoundError' });
    const output = {
      codec: 'vp8',
      resolution: { width: 640, height: 360 },
      framerate: 15,
      bitrate: 600,
      keyFrameInterval: 5,
    };
    const { streamId } = await bus.call<{ streamId: string }>(node.id, 'generate', ['view-common', output]);
    // The mix goes back to this node over the link.
    const sink = new CaptureSink();
    router.publish('mix', new LinkSource(hub, node.id, streamId));
    router.subscribe('watch', sink);
    router.linkup('watch', 'mix');
    await bus.call(node.id, 'subscribeInternal', [
      'to-test',
      {
        type: 'internal',
        toNode: 'test-node',
        address: env.linkAddress,
        remoteStreamId: streamId,
      },
    ]);
    await bus.call(node.id, 'linkup', ['to-test', streamId]);
    await waitUntil(() => sink.frames.length >= 15, 10_000, 'mixed frames back over the link');
    const picture = await lastPicture(sink.frames);
    assert.deepEqual([picture.width, picture.height], [640, 360]);
    assert.ok(near(meanYuv(picture, { x: 0, y: 0, width: 320, height: 180 }), colours[0]!), 'cam-0 top left');
    assert.ok(
      near(meanYuv(picture, { x: 320, y: 0, width: 320, height: 180 }), colours[1]!),
      'cam-1 top right',
    );
    const stats = await bus.call<VideoNodeStats>(node.id, 'getVideoStats', []);
    assert.deepEqual(stats.mixers[0]!.inputs, ['cam-0', 'cam-1']);
    assert.ok(stats.mixers[0]!.outputs[0]!.frames >= 15);
    await bus.call(node.id, 'destroyMixer', ['view-common']);
    const after = await bus.call<VideoNodeStats>(node.id, 'getVideoStats', []);
    assert.deepEqual(after.mixers, []);
    for (const s of sources) s.stop();
  });
});
