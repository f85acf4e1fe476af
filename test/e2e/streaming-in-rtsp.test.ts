/**
 * An IP camera in a room, end to end: a real RTSP server (gst-rtsp-server, H.264 + AAC test
 * pattern), the full stack (RabbitMQ, every part a process, a streaming agent) and Chromium.
 * REST adds the camera as a streaming-in (RTP over UDP); a page subscribes and decodes it; the
 * camera goes away → the page sees the stream's tracks go inactive (`stream update`); the camera
 * comes back → active again and the page decodes new frames; DELETE removes the stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type GstRtspServer, startGstRtspServer } from '../support/gst-rtsp-server.js';
import { waitUntil } from '../support/wait-until.js';
import { RECEIVED_SCRIPT, type Received, type SfuStack, startSfuStack } from './stack.js';

const PAGE_SCRIPT = `${RECEIVED_SCRIPT}
window.events = [];
window.watch = async (token) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  client.on('streamremoved', (e) => window.events.push('streamremoved:' + e.stream.id));
  const info = await client.join(token);
  const remote = await window.streamWhere(client, (s) => s.type === 'forward' && s.origin !== info.self.id);
  remote.on('mute', (e) => window.events.push('mute:' + e.kind));
  remote.on('unmute', (e) => window.events.push('unmute:' + e.kind));
  window.sub = await client.subscribe(remote, { audio: true, video: true });
  window.showStream(window.sub.stream);
  return { streamId: remote.id, transportId: client.transportId };
};
`;

describe('an RTSP camera pulled into a room, watched in Chromium', { timeout: 300_000 }, () => {
  let stack: SfuStack;
  let camera: GstRtspServer;

  before(async () => {
    camera = await startGstRtspServer();
    stack = await startSfuStack(PAGE_SCRIPT, { agents: ['streaming'] });
  });
  after(async () => {
    await stack?.close();
    await camera?.stop();
  });

  /** The page's join, again while the conference agent reports itself over max load (machine CPU). */
  const watch = async (page: Page, room: string): Promise<{ streamId: string }> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const token = await stack.tokenFor(room, 'viewer', 'a');
        return (await page.evaluate(`window.watch(${JSON.stringify(token)})`)) as { streamId: string };
      } catch (err) {
        if (attempt >= 10 || !/under max load/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };

  it('REST streaming-in of an RTSP URL: decoded at 320x240, inactive while the camera is gone, active again after', async () => {
    const room = await stack.createRoom('e2e-rtsp-camera');
    const created = (
      await stack.api.requestOk('POST', `/v1/rooms/${room}/streaming-ins`, {
        connection: { url: camera.url('/h264-aac'), transportProtocol: 'udp' },
        media: { audio: 'auto', video: 'auto' },
      })
    ).json as { id: string; info: { type: string } };
    assert.equal(created.info.type, 'streaming');
    const page = await stack.openPage();
    try {
      const watched = await watch(page, room);
      assert.equal(watched.streamId, created.id);
      const received = async () => (await page.evaluate('window.receivedOf(window.sub)')) as Received;
      const events = async () => (await page.evaluate('window.events')) as string[];
      let got: Received = { frames: 0, width: 0, height: 0, codec: '' };
      await waitUntil(
        async () => {
          got = await received();
          return got.frames >= 25 && got.width === 320 && got.height === 240;
        },
        30_000,
        'frames decoded at 320x240',
      );
      assert.match(got.codec, /H264/i);

      await camera.kill();
      await waitUntil(
        async () => (await events()).includes('mute:video'),
        20_000,
        'video inactive on the page',
      );
      const before = (await received()).frames;
      await camera.restart();
      await waitUntil(async () => (await events()).includes('unmute:video'), 30_000, 'video active again');
      await waitUntil(
        async () => (await received()).frames >= before + 50,
        30_000,
        'frames decoded after the camera is back',
      );
      const again = await received();
      assert.deepEqual([again.width, again.height], [320, 240]);

      await stack.api.requestOk('DELETE', `/v1/rooms/${room}/streaming-ins/${created.id}`);
      await waitUntil(
        async () => (await events()).includes(`streamremoved:${created.id}`),
        10_000,
        'stream remove on the page',
      );
    } finally {
      await page.close();
    }
  });
});
