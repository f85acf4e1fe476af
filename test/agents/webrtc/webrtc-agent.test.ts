import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../../agents/agent.js';
import { agentSchema } from '../../../agents/config.js';
import type { LoadMeter } from '../../../agents/load/load-meter.js';
import type { ClusterManager } from '../../../cluster-manager/cluster-manager-service.js';
import { clusterManagerSchema } from '../../../cluster-manager/config.js';
import { runClusterManager } from '../../../cluster-manager/main.js';
import { rpcSchema } from '../../../common/config/base-schema.js';
import type { VideoFrame } from '../../../common/media/media-frame.js';
import { LocalBus } from '../../../common/rpc/local-bus.js';
import type { RpcServer } from '../../../common/rpc/rpc-bus.js';
import {
  BotPeer,
  type EncodedClip,
  encodeVp8Clip,
  FakeController,
  FramePump,
  waitFor,
} from './webrtc-bots.js';

const CONTROLLER = 'conference-test';
const fixedLoad: LoadMeter = { kind: 'network', sample: async () => 0.1 };
/** Nodes inherit the agent's environment: their [webrtc] and [cluster] config comes from it. */
const NODE_ENV = {
  MEDIASPREAD__webrtc__additionalHostAddresses: '["127.0.0.1"]',
  MEDIASPREAD__cluster__secret: 'agent-test-secret-0123456789abcdef',
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('webrtc node process behind a real agent (LocalBus + IPC)', () => {
  const bus = new LocalBus({ defaultTimeoutMs: 10_000 });
  const ctl = new FakeController();
  const pids = new Set<number>();
  const bots: BotPeer[] = [];
  const pumps: FramePump[] = [];
  let manager: ClusterManager | undefined;
  let agent: Agent | undefined;
  let ctlServer: RpcServer | undefined;
  let clip: EncodedClip;

  before(async () => {
    clip = encodeVp8Clip();
    Object.assign(process.env, NODE_ENV);
    manager = await runClusterManager(bus, clusterManagerSchema.parse({ keepAliveIntervalMs: 200 }));
    ctlServer = await ctl.serve(bus, CONTROLLER);
    agent = new Agent({
      config: agentSchema.parse({
        purpose: 'webrtc',
        id: 'webrtc-agent-test',
        nodes: { prerun: 1, max: 2, maxTasksPerNode: 4 },
        load: { intervalMs: 200 },
      }),
      bus,
      nodeRpc: rpcSchema.parse({ transport: 'local', defaultTimeoutMs: 10_000 }),
      attachChild: (child) => {
        if (child.pid) pids.add(child.pid);
        bus.attachChild(child);
      },
      logLevel: 'warn',
      loadMeter: fixedLoad,
    });
    const joined = new Promise<void>((resolve) => agent?.once('joined', () => resolve()));
    await agent.start();
    await joined;
  });

  after(async () => {
    for (const pump of pumps) pump.stop();
    for (const bot of bots) await bot.close();
    await agent?.stop();
    await ctlServer?.close();
    await manager?.stop();
    await bus.close();
    for (const key of Object.keys(NODE_ENV)) delete process.env[key];
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('a node process publishes a werift bot into its router and sends it to a subscriber', async () => {
    const nodeId = await bus.call<string>('webrtc-agent-test', 'getNode', [
      { task: 'pub-1', room: 'room-1' },
    ]);
    const info = await bus.call<{ role: string }>(nodeId, 'info', []);
    assert.equal(info.role, 'webrtc');
    const address = await bus.call<{ port: number } | null>(nodeId, 'getLinkAddress', []);
    assert.ok(address && address.port > 0, 'the node accepts internal links');

    const spec = { room: 'room-1', owner: 'alice', controller: CONTROLLER };
    await bus.call(nodeId, 'createTransport', ['pub-1', spec]);
    const publisher = new BotPeer(['vp8']);
    bots.push(publisher);
    const video = publisher.addSendonly('video');
    await publisher.pc.setLocalDescription(await publisher.pc.createOffer());
    await bus.call(nodeId, 'publish', ['pub-1', 'pub-1', [{ type: 'video', mid: video.mid }]]);
    let mark = ctl.transport.length;
    await bus.call(nodeId, 'onTransportSignaling', [
      'pub-1',
      { type: 'offer', sdp: await publisher.offer() },
    ]);
    await publisher.answer(await ctl.answerFor('pub-1', mark));
    await waitFor(() => publisher.pc.connectionState === 'connected', 10_000, 'publisher connected');
    const pump = new FramePump(video, 'vp8', clip.frames, 6000);
    pumps.push(pump);
    pump.start(30);

    await bus.call(nodeId, 'createTransport', ['sub-1', { ...spec, owner: 'bob' }]);
    const subscriber = new BotPeer(['vp8']);
    bots.push(subscriber);
    const recv = subscriber.addRecvonly('video');
    await subscriber.pc.setLocalDescription(await subscriber.pc.createOffer());
    await bus.call(nodeId, 'subscribe', [
      'sub-1',
      'sub-1',
      [{ type: 'video', mid: recv.mid, from: 'pub-1' }],
    ]);
    mark = ctl.transport.length;
    await bus.call(nodeId, 'onTransportSignaling', [
      'sub-1',
      { type: 'offer', sdp: await subscriber.offer() },
    ]);
    await subscriber.answer(await ctl.answerFor('sub-1', mark));
    await waitFor(() => subscriber.received.length >= 15, 15_000, 'frames at the subscriber');
    const first = subscriber.received[0] as VideoFrame;
    assert.equal(first.keyframe, true);
    assert.deepEqual([first.width, first.height], [clip.width, clip.height]);

    const stats = await bus.call<{
      streams: { streamId: string; frames: number; subscriptions: string[] }[];
    }>(nodeId, 'getMediaStats', []);
    const stream = stats.streams.find((s) => s.streamId === 'pub-1');
    assert.ok(stream && stream.frames >= 15);
    assert.deepEqual(stream.subscriptions, ['sub-1']);
    await bus.call(nodeId, 'destroyTransport', ['sub-1']);
    await bus.call(nodeId, 'destroyTransport', ['pub-1']);
    const afterStats = await bus.call<{ streams: unknown[]; subscriptions: unknown[] }>(
      nodeId,
      'getMediaStats',
      [],
    );
    assert.deepEqual([afterStats.streams.length, afterStats.subscriptions.length], [0, 0]);
  });
});
