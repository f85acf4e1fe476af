/**
 * Headless Chromium smoke test of the built SDK and demo page: the bundle defines the
 * `MediaSpread` global, the demo renders without console errors, and joining through the
 * page's own UI works (token from POST /dev/token, socket.io to a fake portal, room shown).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS } from '../support/chromium.js';
import { FakePortal } from './fake-portal.js';
import { WeriftAnswerer } from './werift-answerer.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// Built into the test's own folder so that a concurrent client/dist build or server is not disturbed.
const clientDist = fileURLToPath(new URL(`./client-build-${process.pid}`, import.meta.url));
const screenshot = fileURLToPath(new URL('./demo-joined.png', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

const SMOKE_PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="/mediaspread.js"></script></head><body>smoke</body></html>`;

let portal: FakePortal;
const answerer = new WeriftAnswerer();
let http: Server;
let base: string;
let browser: Browser;
const tokenRequests: unknown[] = [];

async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (request.method === 'POST' && url.pathname === '/dev/token') {
    let body = '';
    for await (const chunk of request) body += chunk;
    tokenRequests.push(JSON.parse(body));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ token: portal.token(), room: 'room-1' }));
    return;
  }
  if (url.pathname === '/smoke.html') {
    response.writeHead(200, { 'content-type': TYPES['.html'] });
    response.end(SMOKE_PAGE);
    return;
  }
  const path = normalize(join(clientDist, url.pathname === '/' ? 'demo/index.html' : url.pathname));
  if (!path.startsWith(clientDist)) {
    response.writeHead(403).end();
    return;
  }
  try {
    const content = await readFile(path);
    response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    response.end(content);
  } catch {
    response.writeHead(404).end();
  }
}

async function openPage(path: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  await page.goto(`${base}${path}`, { waitUntil: 'load', timeout: 15_000 });
  return { page, problems };
}

before(async () => {
  // The build type-checks client/ with its own tsconfig (lib dom) and bundles it with esbuild.
  await promisify(execFile)(process.execPath, [join(root, 'client', 'build.mjs'), '--outdir', clientDist], {
    cwd: root,
    timeout: 120_000,
  });
  portal = await FakePortal.start();
  http = createServer((request, response) => {
    serve(request, response).catch(() => response.writeHead(500).end());
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
});

after(async () => {
  await browser?.close();
  http?.closeAllConnections();
  http?.close();
  await portal?.close();
  await answerer.close();
  await rm(clientDist, { recursive: true, force: true });
});

test('the IIFE bundle defines MediaSpread.ConferenceClient; the ESM bundle exports it', async () => {
  const { page, problems } = await openPage('/smoke.html');
  const shape = await page.evaluate(() => {
    const global = (globalThis as unknown as { MediaSpread?: Record<string, unknown> }).MediaSpread;
    return {
      client: typeof global?.ConferenceClient,
      version: global?.VERSION,
      hasJoin: typeof (global?.ConferenceClient as { prototype?: { join?: unknown } })?.prototype?.join,
    };
  });
  assert.deepEqual(shape, { client: 'function', version: '0.1.0', hasJoin: 'function' });
  const esm = await page.evaluate(`import('/mediaspread.esm.js').then((m) => typeof m.ConferenceClient)`);
  assert.equal(esm, 'function', 'the ESM bundle exports ConferenceClient too');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the demo page renders, joins through /dev/token and lists the room', async () => {
  const { page, problems } = await openPage('/demo/index.html');
  assert.equal(await page.title(), 'MediaSpread demo');
  assert.equal(await page.locator('#status').textContent(), 'not joined');
  await page.fill('#user', 'alice');
  await page.click('#join');
  await page.locator('#status', { hasText: /^in room/ }).waitFor({ timeout: 10_000 });
  assert.deepEqual(tokenRequests.at(-1), { user: 'alice', role: 'presenter' });
  assert.equal(await page.locator('#publish').isDisabled(), false);
  const participants = await page.locator('#participants li').allTextContents();
  assert.equal(participants.length, 1);
  assert.match(participants[0], /you/);
  assert.equal(portal.requests('login').length >= 1, true);
  // A stream announced by the room shows up in the list with a Watch button.
  const self = portal.requests('login').at(-1)?.participant ?? '';
  portal.notify(self, 'stream', {
    id: 'cam-1',
    status: 'add',
    data: {
      id: 'cam-1',
      type: 'forward',
      media: { tracks: [{ id: 'v', type: 'video', source: 'camera' }] },
      info: { owner: 'bob', type: 'webrtc', inViews: [], attributes: {} },
    },
  });
  await page.waitForSelector('#streams li button', { timeout: 5_000 });
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.click('#leave');
  await page.locator('#status', { hasText: /^not joined$/ }).waitFor({ timeout: 5_000 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the demo publishes the fake camera and watches it back on one peer connection (werift answers)', async () => {
  portal.behaviour.answerer = answerer;
  const { page, problems } = await openPage('/demo/index.html');
  await page.fill('#user', 'carol');
  await page.click('#join');
  await page.locator('#status', { hasText: /^in room/ }).waitFor({ timeout: 10_000 });
  const self = portal.requests('login').at(-1)?.participant ?? '';
  const before = portal.received.length;
  await page.click('#publish');
  await page.locator('#log', { hasText: 'publishing as stream' }).waitFor({ timeout: 15_000 });
  const mine = portal.received.slice(before);
  const publish = mine.find((r) => r.name === 'publish');
  assert.deepEqual(publish?.data, {
    media: {
      tracks: [
        { type: 'audio', mid: '0', source: 'mic' },
        { type: 'video', mid: '1', source: 'camera' },
      ],
    },
    transport: { type: 'webrtc' },
    attributes: { demo: true },
  });
  const sessions = [...portal.sessions.values()].filter((s) => s.participant === self);
  const transportId = sessions[0].id;
  assert.equal(sessions[0].transportId, transportId);
  // Chromium's own candidates trickle in OWT's format once the answer is in.
  const candidates = mine
    .filter((r) => r.name === 'soac')
    .map((r) => (r.data as { signaling: { type: string; candidate?: { candidate: string } } }).signaling)
    .filter((signal) => signal.type === 'candidate');
  for (const signal of candidates) assert.match(signal.candidate?.candidate ?? '', /^a=candidate:/);
  // Media really flows from the browser into the (werift) server side.
  const deadline = Date.now() + 10_000;
  while ((answerer.rtpPackets.get(transportId) ?? 0) === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok((answerer.rtpPackets.get(transportId) ?? 0) > 0, 'RTP from the browser reached the answerer');

  // Announce the publication as a conference would, then watch it: a re-offer on the same transport.
  portal.notify(self, 'stream', {
    id: transportId,
    status: 'add',
    data: {
      id: transportId,
      type: 'forward',
      media: {
        tracks: [
          { id: `${transportId}-a`, type: 'audio', source: 'mic' },
          { id: `${transportId}-v`, type: 'video', source: 'camera' },
        ],
      },
      info: { owner: self, type: 'webrtc', inViews: [], attributes: {} },
    },
  });
  await page.locator('#streams li button', { hasText: 'Watch' }).click({ timeout: 5_000 });
  await page.locator('#log', { hasText: `watching ${transportId}` }).waitFor({ timeout: 15_000 });
  const subscribe = portal.received.slice(before).find((r) => r.name === 'subscribe');
  assert.deepEqual(subscribe?.data, {
    media: {
      tracks: [
        { type: 'audio', mid: '2', from: transportId },
        { type: 'video', mid: '3', from: transportId },
      ],
    },
    transport: { type: 'webrtc', id: transportId },
  });
  const offers = portal.received
    .slice(before)
    .filter(
      (r) => r.name === 'soac' && (r.data as { signaling: { type: string } }).signaling.type === 'offer',
    );
  assert.equal(offers.length, 2);
  for (const offer of offers) assert.equal((offer.data as { id: string }).id, transportId);
  assert.equal(await page.locator(`#video-sub-${transportId} video`).count(), 1);
  await page.screenshot({
    path: fileURLToPath(new URL('./demo-publishing.png', import.meta.url)),
    fullPage: true,
  });
  await page.click('#leave');
  assert.deepEqual(problems, []);
  await page.close();
});

test('in Chromium, codec preference and simulcast layers shape the real offer', async () => {
  portal.behaviour.answerer = answerer;
  const { page, problems } = await openPage('/smoke.html');
  const before = portal.received.length;
  // Runs in the page (a string, as the root tsconfig has no DOM types).
  const result = await page.evaluate(`(async () => {
    const { token } = await (await fetch('/dev/token', { method: 'POST', body: '{"user":"dave","role":"presenter"}' })).json();
    const client = new MediaSpread.ConferenceClient();
    await client.join(token);
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const publication = await client.publish(stream, {
      video: { codecs: ['h264', 'vp8'], simulcast: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'f' }] },
    });
    const id = publication.id;
    await client.leave();
    for (const track of stream.getTracks()) track.stop();
    return id;
  })()`);
  assert.equal(typeof result, 'string');
  const offer = portal.received
    .slice(before)
    .map((r) => r.data as { signaling?: { type: string; sdp: string } })
    .find((data) => data.signaling?.type === 'offer');
  const sdp = offer?.signaling?.sdp ?? '';
  const videoLine = /^m=video \d+ \S+ (\d+)/m.exec(sdp);
  assert.ok(videoLine, sdp);
  const firstCodec = new RegExp(`^a=rtpmap:${videoLine[1]} ([^/]+)/`, 'm').exec(sdp)?.[1];
  assert.equal(firstCodec, 'H264');
  assert.match(sdp, /^a=simulcast:send q;f/m);
  assert.match(sdp, /^a=rid:q send/m);
  assert.deepEqual(problems, []);
  await page.close();
});
