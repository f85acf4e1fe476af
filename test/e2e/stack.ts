/**
 * The full SFU stack as a user runs it, for the browser end-to-end tests: real RabbitMQ, every
 * part in its own process started by the `mediaspread` command (cluster manager, management
 * API, portal, conference agent, two webrtc agents in regions `a` and `b`), a static server for
 * the SDK build and a test page, and Debian's headless Chromium.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export interface SfuStack {
  api: ManagementApiClient;
  bus: AmqpBus;
  chromium: HeadlessChromium;
  /** Creates a room through the REST API and returns its id. */
  createRoom(name: string): Promise<string>;
  /**
   * A presenter token whose scheduling preference is `region` (`a` or `b`: one webrtc agent
   * each); without one, any webrtc agent.
   */
  tokenFor(room: string, user: string, region?: string): Promise<string>;
  /** A new page with the SDK and `pageScript` loaded. */
  openPage(): Promise<Page>;
  /** The webrtc agent a transport was scheduled on. */
  workerOf(transportId: string): Promise<string | null>;
  /** Stops everything that was started, also after a partial start. */
  close(): Promise<void>;
}

export interface StackOptions {
  /** More TOML lines for the shared config file (e.g. a `[recording]` section). */
  config?: string[];
  /** More agents, each by its purpose (`video` → `mediaspread start video-agent`), at maxLoad 1. */
  agents?: string[];
}

/** Page helpers every test page gets: show a stream, wait for a remote stream. */
const PAGE_HELPERS = `
window.showStream = (mediaStream) => {
  const el = document.createElement('video');
  el.autoplay = true;
  el.muted = true;
  el.srcObject = mediaStream;
  document.body.appendChild(el);
  return el;
};
window.streamWhere = (client, match) => {
  const find = () => client.remoteStreams.find(match);
  return find() ? Promise.resolve(find()) : new Promise((resolve) => client.on('streamadded', () => find() && resolve(find())));
};
`;

/** Starts the stack; on failure stops what was started and rethrows. */
export async function startSfuStack(pageScript: string, options: StackOptions = {}): Promise<SfuStack> {
  const extraAgents = options.agents ?? [];
  const page = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/mediaspread.js"></script><script>${PAGE_HELPERS}${pageScript}</script></head><body></body></html>`;
  let rabbit: PrivateRabbit | undefined;
  let bus: AmqpBus | undefined;
  let chromium: HeadlessChromium | undefined;
  let http: Server | undefined;
  const procs: CliProcess[] = [];
  const close = async (): Promise<void> => {
    // MEDIASPREAD_E2E_DUMP=1: the parts' logs, for a failure's diagnosis.
    if (process.env.MEDIASPREAD_E2E_DUMP) for (const p of procs) console.error(p.output().slice(-6000));
    await chromium?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await Promise.all(procs.map((p) => p.stop(5000)));
    await bus?.close();
    await rabbit?.stop();
  };
  try {
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
        // Deleting an output waits for FFmpeg to finish its file.
        'rpcTimeoutMs = 10000',
        '[portal]',
        'port = 0',
        '[webrtc]',
        'additionalHostAddresses = ["127.0.0.1"]',
        '[agents.conference]',
        'maxLoad = 1',
        // The machine's CPU, shared with Chromium, must not make these agents refuse work.
        ...extraAgents.flatMap((purpose) => [`[agents.${purpose}]`, 'maxLoad = 1']),
        ...(options.config ?? []),
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
    for (const purpose of extraAgents) start(`${purpose}-agent`);
    await apiProc.waitFor(/REST API: http:\/\/127\.0\.0\.1:\d+/, 30_000);
    const apiUrl = /REST API: (http:\/\/127\.0\.0\.1:\d+)/.exec(apiProc.output())?.[1] as string;
    const api = new ManagementApiClient({ url: apiUrl, serviceId, serviceKey });
    const rpc = await AmqpBus.connect({ url: rabbit.url, defaultTimeoutMs: 5000 });
    bus = rpc;
    await waitUntil(
      async () => {
        const workers = await rpc.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', []).catch(() => []);
        // Schedulable, not only joined: right after start-up the machine's CPU can be saturated,
        // and a conference agent at load 1.0 is not under maxLoad 1.
        const purposes = workers
          .filter((w) => w.state === 'in-service' && w.load < w.maxLoad)
          .map((w) => w.purpose);
        return (
          purposes.includes('portal') &&
          purposes.includes('conference') &&
          purposes.filter((p) => p === 'webrtc').length === 2 &&
          extraAgents.every((p) => purposes.includes(p as WorkerView['purpose']))
        );
      },
      60_000,
      'every part joined the cluster and is schedulable',
    );
    const serveStatic = createStaticHandler(CLIENT_DIST);
    const server = createServer((req, res) => {
      if (req.url === '/e2e.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page);
      } else serveStatic(req, res);
    });
    http = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    chromium = browser;
    return {
      api,
      bus: rpc,
      chromium: browser,
      createRoom: async (name) =>
        ((await api.requestOk('POST', '/v1/rooms', { name })).json as { _id: string })._id,
      tokenFor: async (room, user, region) =>
        (
          await api.requestOk('POST', `/v1/rooms/${room}/tokens`, {
            user,
            role: 'presenter',
            ...(region ? { preference: { region } } : {}),
          })
        ).text,
      openPage: async () => {
        const p = await browser.context.newPage();
        await p.goto(`${origin}/e2e.html`);
        return p;
      },
      workerOf: (transportId) =>
        rpc.call<string | null>(CLUSTER_MANAGER_ID, 'getScheduled', ['webrtc', transportId]),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The page-side helper every test page includes: B's largest decoded video, with its codec. */
export const RECEIVED_SCRIPT = `
window.receivedOf = async (sub) => {
  const reports = await sub.getStats();
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

export interface Received {
  frames: number;
  width: number;
  height: number;
  codec: string;
}
