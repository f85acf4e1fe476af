/**
 * The SFU end to end, as a user runs it: real RabbitMQ, every part in its own process started
 * by the `mediaspread` command (cluster manager, management API, portal, conference agent, two
 * webrtc agents in different regions), two headless Chromium pages using the browser SDK.
 * Page A publishes its fake camera (VP8, then H264), page B subscribes; their tokens ask for
 * different regions, so A and B land on different webrtc agents and the frames cross an
 * internal TCP link.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { CLUSTER_MANAGER_ID, type WorkerView } from '../../cluster-manager/protocol.js';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import { ManagementApiClient } from '../../management-api/api-client.js';
import { createStaticHandler } from '../../portal/static-files.js';
import { type HeadlessChromium, launchChromium } from '../support/chromium.js';
import { type CliProcess, startCli, writeTempConfig } from '../support/cli-process.js';
import { type PrivateRabbit, startPrivateRabbit } from '../support/rabbitmq.js';
import { waitUntil } from '../support/wait-until.js';

const CLIENT_DIST = fileURLToPath(new URL('../../../client/dist', import.meta.url));

/** Runs in the pages: the SDK as an application would use it. */
const PAGE_SCRIPT = `
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
  const others = () => client.remoteStreams.find((s) => s.origin !== info.self.id);
  const remote = others() ?? (await new Promise((resolve) => client.on('streamadded', () => others() && resolve(others()))));
  window.sub = await client.subscribe(remote, { audio: true, video: true });
  const video = document.createElement('video');
  video.autoplay = true;
  video.muted = true;
  video.srcObject = window.sub.stream;
  document.body.appendChild(video);
  return { streamId: remote.id, transportId: client.transportId };
};
window.received = async () => {
  const reports = await window.sub.getStats();
  let video = { frames: 0, width: 0, height: 0, codec: '' };
  for (const report of reports) {
    const codecs = new Map();
    report.forEach((s) => { if (s.type === 'codec') codecs.set(s.id, s.mimeType); });
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) >= video.frames) {
        video = { frames: s.framesDecoded ?? 0, width: s.frameWidth ?? 0, height: s.frameHeight ?? 0, codec: codecs.get(s.codecId) ?? '' };
      }
    });
  }
  return video;
};
`;

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/mediaspread.js"></script><script>${PAGE_SCRIPT}</script></head><body></body></html>`;

interface Received {
  frames: number;
  width: number;
  height: number;
  codec: string;
}

describe('SFU end to end: browsers, portal, conference, two webrtc agents over RabbitMQ', {
  timeout: 240_000,
}, () => {
  let rabbit: PrivateRabbit;
  let bus: AmqpBus;
  let chromium: HeadlessChromium;
  let http: Server;
  let origin = '';
  let api: ManagementApiClient;
  const procs: CliProcess[] = [];

  before(async () => {
    rabbit = await startPrivateRabbit();
    const dataDir = mkdtempSync(join(tmpdir(), 'mediaspread-e2e-'));
    const config = writeTempConfig(
      [
        '[rpc]',
        'transport = "amqp"',
        `amqpUrl = "${rabbit.url}"`,
        '[cluster]',
        'secret = "e2e-cluster-secret-0123456789abcdef"',
        'tokenKey = "e2e-token-key-0123456789abcdef"',
        '[store]',
        `dataDir = "${dataDir}"`,
        '[managementApi]',
        'port = 0',
        '[portal]',
        'port = 0',
        '[webrtc]',
        'additionalHostAddresses = ["127.0.0.1"]',
        '[agents.conference]',
        'maxLoad = 1',
      ].join('\n'),
    );
    const init = startCli(['admin', 'init', '--config', config]);
    assert.equal((await init.exited).code, 0, init.output());
    const serviceId = /MEDIASPREAD_SERVICE_ID=(\S+)/.exec(init.output())?.[1] ?? '';
    const serviceKey = /MEDIASPREAD_SERVICE_KEY=(\S+)/.exec(init.output())?.[1] ?? '';
    const start = (part: string, env: NodeJS.ProcessEnv = {}) => {
      const p = startCli(['start', part, '--config', config], { MEDIASPREAD_LOG_LEVEL: 'warn', ...env });
      procs.push(p);
      return p;
    };
    start('cluster-manager');
    const apiProc = start('management-api');
    start('portal');
    start('conference-agent');
    for (const region of ['a', 'b']) {
      start('webrtc-agent', {
        MEDIASPREAD__agents__webrtc__id: `webrtc-${region}`,
        MEDIASPREAD__agents__webrtc__maxLoad: '1',
        MEDIASPREAD__agents__webrtc__capacity__regions: `["${region}"]`,
      });
    }
    await apiProc.waitFor(/REST API: http:\/\/127\.0\.0\.1:\d+/, 30_000);
    const apiUrl = /REST API: (http:\/\/127\.0\.0\.1:\d+)/.exec(apiProc.output())?.[1] as string;
    api = new ManagementApiClient({ url: apiUrl, serviceId, serviceKey });
    bus = await AmqpBus.connect({ url: rabbit.url, defaultTimeoutMs: 5000 });
    await waitUntil(
      async () => {
        const workers = await bus.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', []).catch(() => []);
        const purposes = workers.map((w) => w.purpose);
        return (
          purposes.includes('portal') &&
          purposes.includes('conference') &&
          purposes.filter((p) => p === 'webrtc').length === 2
        );
      },
      60_000,
      'every part joined the cluster',
    );
    const serveStatic = createStaticHandler(CLIENT_DIST);
    http = createServer((req, res) => {
      if (req.url === '/e2e.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
      } else serveStatic(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await Promise.all(procs.map((p) => p.stop(5000)));
    await bus?.close();
    await rabbit?.stop();
  });

  const tokenFor = async (room: string, user: string, region: string): Promise<string> =>
    (
      await api.requestOk('POST', `/v1/rooms/${room}/tokens`, {
        user,
        role: 'presenter',
        preference: { region },
      })
    ).text;

  const openPage = async (): Promise<Page> => {
    const page = await chromium.context.newPage();
    await page.goto(`${origin}/e2e.html`);
    return page;
  };

  for (const codec of ['vp8', 'h264']) {
    it(`${codec}: B decodes A's camera at its size, across two webrtc agents; unpublish and leave reach B`, async () => {
      const room = (
        (await api.requestOk('POST', '/v1/rooms', { name: `e2e-${codec}` })).json as { _id: string }
      )._id;
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
        const workerOf = (transport: string) =>
          bus.call<string | null>(CLUSTER_MANAGER_ID, 'getScheduled', ['webrtc', transport]);
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
