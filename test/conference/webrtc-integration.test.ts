/**
 * The conference with real webrtc nodes (in-process, agents/webrtc) and werift client bots:
 * publish on node A, subscribe on node B through the internal link the conference sets up,
 * frames reach the subscriber; unpublish reaches it as `stream remove` + progress error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { webrtcNodeConfigSchema } from '../../agents/webrtc/webrtc-config.js';
import { WebrtcNode } from '../../agents/webrtc/webrtc-node.js';
import type { LocalBus } from '../../common/rpc/local-bus.js';
import type { ForwardStreamInfo } from '../../conference/stream-info.js';
import {
  BotPeer,
  type EncodedClip,
  encodeVp8Clip,
  FramePump,
  waitFor,
} from '../agents/webrtc/webrtc-bots.js';
import { ConferenceHarness } from './harness.js';

const SECRET = 'conference-test-cluster-secret-0123456789';

async function serveRealNode(bus: LocalBus, nodeId: string): Promise<() => Promise<void>> {
  const config = webrtcNodeConfigSchema.parse({
    webrtc: { additionalHostAddresses: ['127.0.0.1'] },
    cluster: { secret: SECRET },
  });
  const node = await WebrtcNode.start({ nodeId, bus, config });
  const server = await bus.serve(nodeId, node.handlers());
  return async () => {
    await server.close();
    await node.close();
  };
}

describe('conference with real webrtc nodes (werift bots)', () => {
  const h = new ConferenceHarness();
  const bots: BotPeer[] = [];
  const pumps: FramePump[] = [];
  let clip: EncodedClip;

  before(async () => {
    clip = encodeVp8Clip();
    await h.start(['a', 'b'], serveRealNode);
    h.rooms.set('r1', { name: 'room one', views: [] });
  });

  after(async () => {
    for (const pump of pumps) pump.stop();
    for (const bot of bots) await bot.close().catch(() => undefined);
    await h.stop();
  });

  /** The SDK's offer/answer round through the conference: soac in, progress soac out. */
  async function negotiate(participantId: string, transportId: string, bot: BotPeer): Promise<void> {
    const mark = h.portal.of(participantId, 'progress').length;
    const sdp = await bot.offer();
    await h.conf('onTransportSignaling', 'r1', participantId, transportId, { type: 'offer', sdp });
    let answer: string | undefined;
    await waitFor(
      () => {
        const found = h.portal
          .of(participantId, 'progress')
          .slice(mark)
          .find(
            (d) =>
              (d as { id: string; status: string }).id === transportId &&
              (d as { status: string }).status === 'soac',
          );
        answer = (found as { data?: { sdp?: string } } | undefined)?.data?.sdp;
        return answer !== undefined;
      },
      10_000,
      `answer for ${transportId}`,
    );
    await bot.answer(answer as string);
  }

  it('publish on A, subscribe on B across the internal link the conference sets up', async () => {
    await h.join('r1', 'alice', 'presenter', 'a');
    await h.join('r1', 'bob', 'viewer', 'b');

    const publisher = new BotPeer(['vp8']);
    bots.push(publisher);
    const sending = publisher.addSendonly('video');
    await publisher.pc.setLocalDescription(await publisher.pc.createOffer());
    const pub = await h.conf<{ id: string; transportId: string }>('publish', 'r1', 'alice', 'pub1', {
      media: { tracks: [{ type: 'video', mid: sending.mid, source: 'camera' }] },
      transport: { type: 'webrtc' },
    });
    await negotiate('alice', pub.transportId, publisher);
    const pump = new FramePump(sending, 'vp8', clip.frames, 6000);
    pumps.push(pump);
    await waitFor(() => publisher.pc.connectionState === 'connected', 10_000, 'publisher connected');
    pump.start(66);

    const added = await h.portal.waitFor(
      'bob',
      'stream',
      (d) => d.id === 'pub1' && d.status === 'add',
      'stream add',
    );
    const info = added.data as ForwardStreamInfo;
    assert.equal(info.media.tracks[0]?.format.codec, 'vp8');
    await h.portal.waitFor(
      'alice',
      'progress',
      (d) => d.sessionId === 'pub1' && d.status === 'ready',
      'pub ready',
    );

    const subscriber = new BotPeer(['vp8']);
    bots.push(subscriber);
    const receiving = subscriber.addRecvonly('video');
    await subscriber.pc.setLocalDescription(await subscriber.pc.createOffer());
    const sub = await h.conf<{ id: string; transportId: string }>('subscribe', 'r1', 'bob', 'sub1', {
      media: { tracks: [{ type: 'video', mid: receiving.mid, from: 'pub1' }] },
      transport: { type: 'webrtc' },
    });
    await negotiate('bob', sub.transportId, subscriber);
    await h.portal.waitFor(
      'bob',
      'progress',
      (d) => d.sessionId === 'sub1' && d.status === 'ready',
      'sub ready',
    );
    await waitFor(() => subscriber.received.length >= 10, 15_000, '10 frames at the subscriber on node B');
    const first = subscriber.received[0];
    assert.ok(first?.kind === 'video' && first.keyframe, 'the subscriber starts on a keyframe');

    await h.conf('unpublish', 'r1', 'alice', 'pub1');
    await h.portal.waitFor('bob', 'stream', (d) => d.id === 'pub1' && d.status === 'remove', 'stream remove');
    await h.portal.waitFor(
      'bob',
      'progress',
      (d) => d.sessionId === 'sub1' && d.status === 'error',
      'sub error',
    );
  });
});
