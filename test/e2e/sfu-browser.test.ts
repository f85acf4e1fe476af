/**
 * The SFU end to end, as a user runs it: real RabbitMQ, every part in its own process started
 * by the `mediaspread` command (cluster manager, management API, portal, conference agent, two
 * webrtc agents in different regions), two headless Chromium pages using the browser SDK.
 * Page A publishes its fake camera (VP8, then H264), page B subscribes; their tokens ask for
 * different regions, so A and B land on different webrtc agents and the frames cross an
 * internal TCP link.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { waitUntil } from '../support/wait-until.js';
import { RECEIVED_SCRIPT, type Received, type SfuStack, startSfuStack } from './stack.js';

/** Runs in the pages: the SDK as an application would use it. */
const PAGE_SCRIPT = `
${RECEIVED_SCRIPT}
window.events = [];
window.publish = async (token, codec) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  const info = await client.join(token);
  const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  window.pub = await client.publish(media, { video: { codecs: [codec] } });
  return { streamId: window.pub.id, transportId: client.transportId, self: info.self.id };
};
window.subscribe = async (token) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  client.on('streamremoved', (e) => window.events.push('streamremoved:' + e.stream.id));
  client.on('participantleft', (e) => window.events.push('participantleft:' + e.participant.id));
  const info = await client.join(token);
  const remote = await window.streamWhere(client, (s) => s.type === 'forward' && s.origin !== info.self.id);
  window.sub = await client.subscribe(remote, { audio: true, video: true });
  window.showStream(window.sub.stream);
  return { streamId: remote.id, transportId: client.transportId };
};
window.received = () => window.receivedOf(window.sub);
`;

describe('SFU end to end: browsers, portal, conference, two webrtc agents over RabbitMQ', {
  timeout: 240_000,
}, () => {
  let stack: SfuStack | undefined;

  before(async () => {
    stack = await startSfuStack(PAGE_SCRIPT);
  });

  after(async () => {
    await stack?.close();
  });

  const sfu = (): SfuStack => {
    assert.ok(stack, 'stack started');
    return stack;
  };
  const tokenFor = (room: string, user: string, region: string) => sfu().tokenFor(room, user, region);
  const openPage = (): Promise<Page> => sfu().openPage();

  for (const codec of ['vp8', 'h264']) {
    it(`${codec}: B decodes A's camera at its size, across two webrtc agents; unpublish and leave reach B`, async () => {
      const { api, createRoom, workerOf } = sfu();
      const room = await createRoom(`e2e-${codec}`);
      const pageA = await openPage();
      const pageB = await openPage();
      try {
        const a = (await pageA.evaluate(
          `window.publish(${JSON.stringify(await tokenFor(room, 'alice', 'a'))}, '${codec}')`,
        )) as {
          streamId: string;
          transportId: string;
          self: string;
        };
        const b = (await pageB.evaluate(
          `window.subscribe(${JSON.stringify(await tokenFor(room, 'bob', 'b'))})`,
        )) as {
          streamId: string;
          transportId: string;
        };
        assert.equal(b.streamId, a.streamId);
        // Each client's transport is on the webrtc agent of its region.
        assert.equal(await workerOf(a.transportId), 'webrtc-a');
        assert.equal(await workerOf(b.transportId), 'webrtc-b');

        const started = Date.now();
        let got: Received = { frames: 0, width: 0, height: 0, codec: '' };
        await waitUntil(
          async () => {
            got = (await pageB.evaluate('window.received()')) as Received;
            return got.frames > 0;
          },
          15_000,
          'frames decoded on B',
        );
        const firstFrameMs = Date.now() - started;
        assert.ok(firstFrameMs < 5000, `first frame after ${firstFrameMs} ms`);
        await waitUntil(
          async () => {
            got = (await pageB.evaluate('window.received()')) as Received;
            return got.width === 640 && got.height === 480;
          },
          10_000,
          `decoded size 640x480 (last ${got.width}x${got.height})`,
        );
        assert.equal(got.codec.toLowerCase(), `video/${codec}`);

        // The REST API sees the live room through the conference node.
        const participants = (await api.requestOk('GET', `/v1/rooms/${room}/participants`)).json as {
          user: string;
        }[];
        assert.deepEqual(participants.map((p) => p.user).sort(), ['alice', 'bob']);
        const streams = (await api.requestOk('GET', `/v1/rooms/${room}/streams`)).json as {
          id: string;
          type: string;
        }[];
        assert.ok(
          streams.some((s) => s.id === a.streamId && s.type === 'forward'),
          JSON.stringify(streams),
        );

        await pageA.evaluate('window.pub.stop()');
        await waitUntil(
          async () =>
            ((await pageB.evaluate('window.events')) as string[]).includes(`streamremoved:${a.streamId}`),
          10_000,
          'stream remove on B',
        );
        // One run leaves from the page, the other is kicked through the REST API.
        if (codec === 'vp8') await pageA.evaluate('window.client.leave()');
        else await api.requestOk('DELETE', `/v1/rooms/${room}/participants/${a.self}`);
        await waitUntil(
          async () =>
            ((await pageB.evaluate('window.events')) as string[]).includes(`participantleft:${a.self}`),
          10_000,
          'participant leave on B',
        );
      } finally {
        await pageA.close();
        await pageB.close();
      }
    });
  }
});
