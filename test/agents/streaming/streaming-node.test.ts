import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MediaStatusEvent } from '../../../agents/streaming/media-access-node.js';
import { STREAMING_STATUS_TOPIC } from '../../../agents/streaming/streaming-node.js';
import type { LinkHub } from '../../../common/links/link-hub.js';
import { FrameGeneratorSource } from '../../../common/media/frame-generator-source.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import { mediaPrimitiveHandlers } from '../../../common/media/media-primitive-handlers.js';
import type { MediaRouter } from '../../../common/media/media-router.js';
import type { LocalBus } from '../../../common/rpc/local-bus.js';
import { type NginxRtmp, startNginxRtmp } from '../../support/nginx-rtmp.js';
import { type NodeAgents, startNodeAgents } from '../../support/node-agents.js';
import { waitUntil } from '../../support/wait-until.js';
import { encodeFrames, probe, pushFrames, streamOf } from './encoded-frames.js';

class Replay extends FrameGeneratorSource {
  out: ((f: MediaFrame) => void) | undefined;
  override start(deliver: (f: MediaFrame) => void): void {
    this.out = deliver;
  }
}

/**
 * A streaming node process (started by a real Agent over the all-in-one bus) receives real
 * VP8+Opus frames over an internal TCP link from another node and pushes them to nginx-rtmp.
 */
describe('streaming and recording node processes fed over internal links', () => {
  const secret = randomBytes(16).toString('hex');
  const recordDir = mkdtempSync(join(tmpdir(), 'ms-recording-node-'));
  const events: MediaStatusEvent[] = [];
  let env: NodeAgents;
  let bus: LocalBus;
  let router: MediaRouter;
  let hub: LinkHub;
  let nginx: NginxRtmp;

  before(async () => {
    // Nodes inherit the agent's environment: this is how they learn the cluster secret.
    process.env.MEDIASPREAD__cluster__secret = secret;
    process.env.MEDIASPREAD__recording__dir = recordDir;
    process.env.MEDIASPREAD__recording__minFreeBytes = '0';
    nginx = await startNginxRtmp();
    env = await startNodeAgents(['streaming', 'recording'], {
      secret,
      linkNodeId: 'publisher-node',
      maxNodes: 2,
      rpcTimeoutMs: 15_000,
    });
    ({ bus, router, hub } = env);
    await bus.subscribe(STREAMING_STATUS_TOPIC, (e) => events.push(e as MediaStatusEvent));
  });

  after(async () => {
    await env?.close();
    await nginx?.remove();
    delete process.env.MEDIASPREAD__cluster__secret;
    delete process.env.MEDIASPREAD__recording__dir;
    delete process.env.MEDIASPREAD__recording__minFreeBytes;
    rmSync(recordDir, { recursive: true, force: true });
  });

  it('frames from another node reach RTMP; status events arrive on the monitoring topic', async () => {
    const node = { id: env.nodeOf('streaming') };
    const info = await bus.call<{ role: string }>(node.id, 'info', []);
    assert.equal(info.role, 'streaming');
    const address = await bus.call<{ nodeId: string; host: string; port: number }>(
      node.id,
      'getLinkAddress',
      [],
    );
    assert.equal(address.nodeId, node.id);
    const url = nginx.url('live', 'linked');
    await bus.call(node.id, 'publish', ['cam', { type: 'internal', fromNode: 'publisher-node' }]);
    await bus.call(node.id, 'subscribe', ['out-1', { type: 'streaming-out', protocol: 'rtmp', url }]);
    await bus.call(node.id, 'linkup', ['out-1', 'cam']);
    await assert.rejects(
      bus.call(node.id, 'subscribe', ['bad', { type: 'streaming-out', protocol: 'rtmp', url: 'http://x' }]),
      /sink\.url/,
    );

    const recorder = { id: env.nodeOf('recording') };
    const recorderAddress = await bus.call<{ host: string; port: number }>(recorder.id, 'getLinkAddress', []);
    await bus.call(recorder.id, 'publish', ['cam', { type: 'internal', fromNode: 'publisher-node' }]);
    await bus.call(recorder.id, 'subscribe', ['rec-1', { type: 'recording', container: 'auto' }]);
    await bus.call(recorder.id, 'linkup', ['rec-1', 'cam']);

    const primitives = mediaPrimitiveHandlers(router, hub);
    const source = new Replay();
    router.publish('cam', source);
    primitives.subscribe('to-recording', {
      type: 'internal',
      toNode: recorder.id,
      address: { host: recorderAddress.host, port: recorderAddress.port },
    });
    primitives.linkup('to-recording', 'cam');
    primitives.subscribe('to-streaming', {
      type: 'internal',
      toNode: node.id,
      address: { host: address.host, port: address.port },
    });
    primitives.linkup('to-streaming', 'cam');
    await pushFrames(encodeFrames({ video: 'vp8', audio: 'opus', seconds: 4 }), (f) => source.out?.(f));
    await waitUntil(
      () => events.some((e) => e.id === 'out-1' && e.status === 'active'),
      10_000,
      'active status',
    );
    await bus.call(node.id, 'unsubscribe', ['out-1']);
    await waitUntil(
      () => events.some((e) => e.id === 'out-1' && e.status === 'stopped' && e.nodeId === node.id),
      5000,
      'stopped status',
    );
    const started = events.find((e) => e.id === 'out-1' && e.status === 'started');
    assert.deepEqual(started?.transcode, { audio: true, video: true });
    // unsubscribe resolves once ffmpeg has finished the file.
    await bus.call(recorder.id, 'unsubscribe', ['rec-1']);
    const recorded = await probe(join(recordDir, 'rec-1.webm'));
    assert.equal(streamOf(recorded, 'video')?.codec_name, 'vp8');
    assert.equal(streamOf(recorded, 'audio')?.codec_name, 'opus');
    assert.ok(Math.abs(Number(recorded.format.duration) - 4) < 0.5, `recorded ${recorded.format.duration}`);
    await waitUntil(() => nginx.recordings('linked').length > 0, 5000, 'nginx recorded the stream');
    const result = await probe(nginx.recordings('linked')[0]!);
    assert.equal(streamOf(result, 'video')?.codec_name, 'h264');
    assert.equal(streamOf(result, 'video')?.width, 320);
    assert.equal(streamOf(result, 'audio')?.codec_name, 'aac');
    assert.ok(Number(result.format.duration) > 2.5, `duration ${result.format.duration}`);
  });
});
