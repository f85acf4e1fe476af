/**
 * The MCU end to end in Chromium: publishers of solid colours (canvas) with synthetic audio
 * (WebAudio) mixed into a room's view; a subscriber of the mixed stream decodes the view's size,
 * finds each colour in its region, sees set-region move an input and the loud speaker become the
 * active, primary input; a forward stream subscribed at a smaller size arrives transcoded.
 * Every part runs as its own process (test/e2e/stack.ts) with video and audio agents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RegionAssignment } from '../../agents/video/layout/index.js';
import { parseFraction } from '../../agents/video/layout/index.js';
import { probe, streamOf } from '../agents/streaming/encoded-frames.js';
import { type NginxRtmp, startNginxRtmp } from '../support/nginx-rtmp.js';
import { waitUntil } from '../support/wait-until.js';
import { RECEIVED_SCRIPT, type Received, type SfuStack, startSfuStack } from './stack.js';

const PAGE_SCRIPT = `
window.painters = [];
window.colourStream = (rgb, loud) => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 480;
  const ctx = canvas.getContext('2d');
  let tick = 0;
  const paint = () => {
    ctx.fillStyle = 'rgb(' + rgb.join(',') + ')';
    ctx.fillRect(0, 0, 640, 480);
    // A small moving mark in a corner: every frame differs, so the canvas keeps producing frames.
    ctx.fillStyle = tick++ % 2 ? '#000' : '#fff';
    ctx.fillRect(0, 0, 8, 8);
  };
  paint();
  window.painters.push(setInterval(paint, 50));
  const audio = new AudioContext();
  const osc = audio.createOscillator();
  osc.frequency.value = 440;
  const gain = audio.createGain();
  gain.gain.value = loud ? 0.6 : 0;
  const out = audio.createMediaStreamDestination();
  osc.connect(gain);
  gain.connect(out);
  osc.start();
  return new MediaStream([out.stream.getAudioTracks()[0], canvas.captureStream(20).getVideoTracks()[0]]);
};
window.publishColour = async (token, rgb, loud) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  await client.join(token);
  const pub = await client.publish(window.colourStream(rgb, loud), { video: { codecs: ['vp8'] } });
  window.pub = pub;
  await pub.mix('common');
  return pub.id;
};
window.publishCamera = async (token) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  await client.join(token);
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  window.pub = await client.publish(stream, { video: { codecs: ['vp8'] } });
  return window.pub.id;
};
window.setRegion = (region) => window.pub.setRegion('common', region);
window.watch = async (token, pick, video) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  await client.join(token);
  const stream = await window.streamWhere(client, (s) => (pick === 'mixed' ? s.type === 'mixed' : s.id === pick));
  window.watched = stream;
  window.sub = await client.subscribe(stream, { audio: true, video });
  window.videoEl = window.showStream(window.sub.stream);
};
window.mixedInfo = () => window.watched.info.info;
window.sample = (points) => {
  const v = window.videoEl;
  const c = document.createElement('canvas');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(v, 0, 0);
  return points.map(([x, y]) => Array.from(ctx.getImageData(Math.round(x * c.width), Math.round(y * c.height), 1, 1).data.slice(0, 3)));
};
${RECEIVED_SCRIPT}
`;

type Rgb = [number, number, number];
const RED: Rgb = [220, 40, 40];
const GREEN: Rgb = [40, 200, 40];
const BLUE: Rgb = [40, 40, 220];

const near = (a: number[], b: Rgb, tolerance = 60): boolean =>
  a.every((v, i) => Math.abs(v - b[i]!) <= tolerance);

/** The centre of a region, as fractions of the canvas. */
function centreOf(a: RegionAssignment): [number, number] {
  const f = (v: string | number) => {
    const r = parseFraction(v);
    return r.num / r.den;
  };
  const { left, top, width, height } = a.region.area;
  return [f(left) + f(width) / 2, f(top) + f(height) / 2];
}

describe('MCU in Chromium: mixed views and transcoded subscriptions', () => {
  let stack: SfuStack;
  let nginx: NginxRtmp;
  const pages: Page[] = [];
  /** The room of the first test, its three publishers still mixed. */
  let mixedRoom = '';

  before(async () => {
    nginx = await startNginxRtmp();
    stack = await startSfuStack(PAGE_SCRIPT, { agents: ['video', 'audio', 'streaming'] });
  });

  after(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    await stack?.close();
    await nginx?.remove();
  });

  const open = async (): Promise<Page> => {
    const page = await stack.openPage();
    pages.push(page);
    return page;
  };

  it('three publishers in a view: the subscriber decodes the view size, each colour in its region; the loud speaker is active and primary; set-region moves an input', async () => {
    const room = (
      (
        await stack.api.requestOk('POST', '/v1/rooms', {
          name: 'mcu',
          options: {
            views: [
              {
                label: 'common',
                video: {
                  keepActiveInputPrimary: true,
                  parameters: { resolution: { width: 640, height: 480 }, framerate: 15 },
                },
              },
            ],
          },
        })
      ).json as { _id: string }
    )._id;
    mixedRoom = room;
    const colours = new Map<string, Rgb>();
    let loud = '';
    for (const [i, rgb] of [RED, GREEN, BLUE].entries()) {
      const page = await open();
      const token = await stack.tokenFor(room, `pub-${i}`, 'a');
      const id = (await page.evaluate(
        `window.publishColour(${JSON.stringify(token)}, ${JSON.stringify(rgb)}, ${i === 1})`,
      )) as string;
      colours.set(id, rgb);
      if (i === 1) loud = id;
    }
    const viewer = await open();
    await viewer.evaluate(
      `window.watch(${JSON.stringify(await stack.tokenFor(room, 'viewer', 'b'))}, 'mixed', true)`,
    );

    let received: Received = { frames: 0, width: 0, height: 0, codec: '' };
    await waitUntil(
      async () => {
        received = (await viewer.evaluate('window.receivedOf(window.sub)')) as Received;
        return received.frames > 10 && received.width > 0;
      },
      30_000,
      'the mixed stream decodes',
    );
    assert.deepEqual([received.width, received.height], [640, 480]);
    assert.match(received.codec, /H264/i, 'the view is H.264 (room default)');

    const info = async () =>
      (await viewer.evaluate('window.mixedInfo()')) as { activeInput: string; layout: RegionAssignment[] };
    await waitUntil(
      async () => {
        const { activeInput, layout } = await info();
        return (
          layout.length === 3 &&
          activeInput === loud &&
          layout.find((a) => a.stream === loud)?.region.id === '1'
        );
      },
      30_000,
      'three inputs in the layout, the loud one active and in the primary region',
    );

    const coloursInPlace = async (): Promise<boolean> => {
      const { layout } = await info();
      const samples = (await viewer.evaluate(
        `window.sample(${JSON.stringify(layout.map(centreOf))})`,
      )) as number[][];
      return layout.every((a, i) => near(samples[i]!, colours.get(a.stream)!));
    };
    await waitUntil(coloursInPlace, 20_000, 'each input shows its colour in its region');

    // Pin the blue publisher to the empty fourth region of the 2x2 grid.
    const blue = [...colours].find(([, c]) => c === BLUE)![0];
    await pages[2]!.evaluate(`window.setRegion('4')`);
    await waitUntil(
      async () => (await info()).layout.find((a) => a.stream === blue)?.region.id === '4',
      10_000,
      'layout update: blue in region 4',
    );
    await waitUntil(
      async () => {
        const region4 = (await info()).layout.find((a) => a.region.id === '4') as RegionAssignment;
        const [sample] = (await viewer.evaluate(
          `window.sample(${JSON.stringify([centreOf(region4)])})`,
        )) as number[][];
        return near(sample!, BLUE);
      },
      10_000,
      'blue shows in region 4',
    );
  });

  it('the mixed stream pushed to RTMP reads back as H.264 at the view size with AAC audio', async () => {
    assert.ok(mixedRoom, 'the first test set up the mixed room');
    const url = nginx.url('live', 'mixed');
    const mixed = `${mixedRoom}-common`;
    const out = (
      await stack.api.requestOk('POST', `/v1/rooms/${mixedRoom}/streaming-outs`, {
        protocol: 'rtmp',
        url,
        media: { audio: { from: mixed }, video: { from: mixed } },
      })
    ).json as { id: string };
    let found = '';
    await waitUntil(
      async () => {
        const result = await probe(url, { timeoutMs: 15_000 }).catch(() => undefined);
        const video = result && streamOf(result, 'video');
        const audio = result && streamOf(result, 'audio');
        found = JSON.stringify([video?.codec_name, video?.width, video?.height, audio?.codec_name]);
        return found === JSON.stringify(['h264', 640, 480, 'aac']);
      },
      40_000,
      'RTMP read back as h264 640x480 + aac',
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last probe: ${found})`);
    });
    await stack.api.requestOk('DELETE', `/v1/rooms/${mixedRoom}/streaming-outs/${out.id}`);
  });

  it('a 640x480 camera subscribed at 320x240 goes through a transcoder: the subscriber decodes 320x240', async () => {
    const room = await stack.createRoom('transcode');
    const publisher = await open();
    const id = (await publisher.evaluate(
      `window.publishCamera(${JSON.stringify(await stack.tokenFor(room, 'cam', 'a'))})`,
    )) as string;
    const viewer = await open();
    await viewer.evaluate(
      `window.watch(${JSON.stringify(await stack.tokenFor(room, 'small', 'b'))}, ${JSON.stringify(id)}, { resolution: { width: 320, height: 240 } })`,
    );
    let received: Received = { frames: 0, width: 0, height: 0, codec: '' };
    await waitUntil(
      async () => {
        received = (await viewer.evaluate('window.receivedOf(window.sub)')) as Received;
        return received.frames > 10;
      },
      30_000,
      'the transcoded stream decodes',
    );
    assert.deepEqual([received.width, received.height], [320, 240]);
  });
});
