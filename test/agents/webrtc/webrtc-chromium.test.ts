import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { webrtcNodeConfigSchema } from '../../../agents/webrtc/webrtc-config.js';
import { WebrtcNode } from '../../../agents/webrtc/webrtc-node.js';
import { LocalBus } from '../../../common/rpc/local-bus.js';
import type { RpcServer } from '../../../common/rpc/rpc-bus.js';
import { CHROMIUM_FLAGS } from '../../support/chromium.js';
import { FakeController, waitFor } from './webrtc-bots.js';

/** Flags measured to work with Debian's headless Chromium (notes/webrtc-werift.md). */
const CONTROLLER = 'conference-test';
const NODE = 'webrtc-a';
const NODE_B = 'webrtc-b';
const SECRET = 'chromium-test-secret-0123456789';

function nodeConfig() {
  return webrtcNodeConfigSchema.parse({
    webrtc: { additionalHostAddresses: ['127.0.0.1'] },
    cluster: { secret: SECRET },
  });
}

/**
 * Page side, as plain script (this project compiles without DOM types): a peer connection that
 * offers like the OWT SDK, with every candidate inside the offer.
 */
const PAGE_SCRIPT = `
window.msOffer = async (role, codec) => {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  window.pc = pc;
  let transceiver;
  if (role === 'publish') {
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    transceiver = pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly' });
    const caps = RTCRtpSender.getCapabilities('video').codecs;
    const preferred = caps.filter((c) => c.mimeType.toLowerCase() === 'video/' + codec);
    transceiver.setCodecPreferences([...preferred, ...caps.filter((c) => !preferred.includes(c))]);
  } else {
    transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    setTimeout(resolve, 3000);
  });
  return { sdp: pc.localDescription.sdp, mid: transceiver.mid };
};
window.msAnswer = (sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp });
window.msVideoStats = async (type) => {
  const report = await window.pc.getStats();
  for (const s of report.values()) {
    if (s.type === type && s.kind === 'video') {
      const codec = report.get(s.codecId);
      return {
        frames: (type === 'inbound-rtp' ? s.framesDecoded : s.framesEncoded) || 0,
        width: s.frameWidth || 0,
        height: s.frameHeight || 0,
        codec: codec ? codec.mimeType : '',
      };
    }
  }
  return { frames: 0, width: 0, height: 0, codec: '' };
};
window.msReceiveStats = async () => {
  const report = await window.pc.getStats();
  const out = {};
  for (const s of report.values()) {
    if (s.kind !== 'video') continue;
    if (s.type === 'inbound-rtp') {
      out.inbound = { packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived, packetsLost: s.packetsLost, nackCount: s.nackCount };
    }
    if (s.type === 'remote-outbound-rtp') {
      out.remote = { packetsSent: s.packetsSent, bytesSent: s.bytesSent, reportsSent: s.reportsSent, remoteTimestamp: s.remoteTimestamp };
    }
  }
  out.now = Date.now();
  return out;
};
`;

interface VideoStats {
  frames: number;
  width: number;
  height: number;
  codec: string;
}

function pageOffer(
  page: Page,
  role: 'publish' | 'subscribe',
  codec: string,
): Promise<{ sdp: string; mid: string }> {
  return page.evaluate(`window.msOffer(${JSON.stringify(role)}, ${JSON.stringify(codec)})`);
}

function pageAnswer(page: Page, sdp: string): Promise<void> {
  return page.evaluate(`window.msAnswer(${JSON.stringify(sdp)})`);
}

interface ReceiveStats {
  inbound?: { packetsReceived: number; bytesReceived: number; packetsLost: number; nackCount: number };
  remote?: { packetsSent: number; bytesSent: number; reportsSent: number; remoteTimestamp: number };
  now: number;
}

function receiveStats(page: Page): Promise<ReceiveStats> {
  return page.evaluate('window.msReceiveStats()');
}

function videoStats(page: Page, type: 'inbound-rtp' | 'outbound-rtp'): Promise<VideoStats> {
  return page.evaluate(`window.msVideoStats(${JSON.stringify(type)})`);
}

describe('headless Chromium publishes to a webrtc node, a second page subscribes', () => {
  const bus = new LocalBus({ defaultTimeoutMs: 15_000 });
  const ctl = new FakeController();
  const profile = mkdtempSync(join(tmpdir(), 'ms-chromium-'));
  let node: WebrtcNode | undefined;
  let nodeB: WebrtcNode | undefined;
  let nodeServer: RpcServer | undefined;
  let nodeServerB: RpcServer | undefined;
  let ctlServer: RpcServer | undefined;
  let http: Server | undefined;
  let browser: BrowserContext | undefined;
  let origin = '';

  before(async () => {
    node = await WebrtcNode.start({ nodeId: NODE, bus, config: nodeConfig() });
    nodeServer = await bus.serve(NODE, node.handlers());
    nodeB = await WebrtcNode.start({ nodeId: NODE_B, bus, config: nodeConfig() });
    nodeServerB = await bus.serve(NODE_B, nodeB.handlers());
    ctlServer = await ctl.serve(bus, CONTROLLER);
    http = createServer((_req, res) => res.end('<!doctype html><title>webrtc test</title>'));
    await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_FLAGS,
      headless: true,
    });
    await browser.addInitScript(PAGE_SCRIPT);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    await nodeServer?.close();
    await nodeServerB?.close();
    await ctlServer?.close();
    await node?.close();
    await nodeB?.close();
    await bus.close();
    rmSync(profile, { recursive: true, force: true });
  });

  const cases = [
    { codec: 'vp8', cross: false },
    { codec: 'h264', cross: false },
    { codec: 'vp8', cross: true },
  ];
  for (const { codec, cross } of cases) {
    const where = cross ? 'A publishes on node A, B subscribes on node B (internal link)' : 'one node';
    it(`${codec}, ${where}: the subscriber decodes frames of the publisher's size`, async (t) => {
      assert.ok(browser);
      const pageA = await browser.newPage();
      const pageB = await browser.newPage();
      t.after(() => pageA.close());
      t.after(() => pageB.close());
      await pageA.goto(origin);
      await pageB.goto(origin);
      const pub = `pub-${codec}-${cross}`;
      const sub = `sub-${codec}-${cross}`;
      const subNode = cross ? NODE_B : NODE;
      const spec = { room: 'room-1', owner: 'a', controller: CONTROLLER };

      await bus.call(NODE, 'createTransport', [pub, spec]);
      const offerA = await pageOffer(pageA, 'publish', codec);
      await bus.call(NODE, 'publish', [pub, pub, [{ type: 'video', mid: offerA.mid, source: 'camera' }]]);
      let mark = ctl.transport.length;
      await bus.call(NODE, 'onTransportSignaling', [pub, { type: 'offer', sdp: offerA.sdp }]);
      const answerA = await ctl.answerFor(pub, mark);
      // Chromium's publication offers RTX with its FID group: the answer accepts it.
      assert.match(answerA, /a=rtpmap:\d+ rtx\/90000/);
      await pageAnswer(pageA, answerA);
      await waitFor(() => ctl.sessionState(pub, 'ready') !== undefined, 10_000, 'publication ready');

      if (cross) {
        // What the conference does for a stream on another node: B accepts, A sends over a link.
        const to = await bus.call<{ nodeId: string; host: string; port: number }>(
          NODE_B,
          'getLinkAddress',
          [],
        );
        await bus.call(NODE_B, 'publishInternal', [pub, { type: 'internal', fromNode: NODE }]);
        const linkSub = `link-${pub}`;
        await bus.call(NODE, 'subscribeInternal', [
          linkSub,
          { type: 'internal', toNode: to.nodeId, address: { host: to.host, port: to.port } },
        ]);
        await bus.call(NODE, 'linkup', [linkSub, pub]);
        t.after(() => bus.call(NODE_B, 'unpublishInternal', [pub]));
        t.after(() => bus.call(NODE, 'unsubscribeInternal', [linkSub]));
      }
      await bus.call(subNode, 'createTransport', [sub, { ...spec, owner: 'b' }]);
      const offerB = await pageOffer(pageB, 'subscribe', codec);
      // Across nodes the codec comes from StreamInfo (the conference knows it).
      const track = { type: 'video', mid: offerB.mid, from: pub, ...(cross ? { codec } : {}) };
      await bus.call(subNode, 'subscribe', [sub, sub, [track]]);
      mark = ctl.transport.length;
      await bus.call(subNode, 'onTransportSignaling', [sub, { type: 'offer', sdp: offerB.sdp }]);
      const answerB = await ctl.answerFor(sub, mark);
      // Chromium offers RTX: the answer gives it back with the FID group, and Chromium takes it.
      assert.match(answerB, /a=rtpmap:\d+ rtx\/90000/);
      assert.match(answerB, /a=ssrc-group:FID \d+ \d+/);
      await pageAnswer(pageB, answerB);

      const started = Date.now();
      let inbound = await videoStats(pageB, 'inbound-rtp');
      for (let i = 0; i < 100 && inbound.frames === 0 && Date.now() - started < 10_000; i++) {
        await new Promise((r) => setTimeout(r, 100));
        inbound = await videoStats(pageB, 'inbound-rtp');
      }
      assert.ok(inbound.frames > 0, `frames decoded by the subscriber (${JSON.stringify(inbound)})`);
      assert.equal(inbound.codec.toLowerCase(), `video/${codec}`);
      const outbound = await videoStats(pageA, 'outbound-rtp');
      assert.deepEqual([inbound.width, inbound.height], [outbound.width, outbound.height]);
      assert.ok(inbound.width > 0);
      t.diagnostic(
        `first frame decoded ${Date.now() - started} ms after the subscriber's answer; ${inbound.width}x${inbound.height}`,
      );
      await bus.call(subNode, 'destroyTransport', [sub]);
      await bus.call(NODE, 'destroyTransport', [pub]);
    });
  }
  it('own RTP path: Chromium gets sender reports that match what it received; the node measures RTT', async (t) => {
    assert.ok(browser);
    const pageA = await browser.newPage();
    const pageB = await browser.newPage();
    t.after(() => pageA.close());
    t.after(() => pageB.close());
    await pageA.goto(origin);
    await pageB.goto(origin);
    const pub = 'pub-sr';
    const sub = 'sub-sr';
    const spec = { room: 'room-1', owner: 'a', controller: CONTROLLER };
    await bus.call(NODE, 'createTransport', [pub, spec]);
    const offerA = await pageOffer(pageA, 'publish', 'vp8');
    await bus.call(NODE, 'publish', [pub, pub, [{ type: 'video', mid: offerA.mid }]]);
    let mark = ctl.transport.length;
    await bus.call(NODE, 'onTransportSignaling', [pub, { type: 'offer', sdp: offerA.sdp }]);
    await pageAnswer(pageA, await ctl.answerFor(pub, mark));
    await bus.call(NODE, 'createTransport', [sub, { ...spec, owner: 'b' }]);
    const offerB = await pageOffer(pageB, 'subscribe', 'vp8');
    await bus.call(NODE, 'subscribe', [sub, sub, [{ type: 'video', mid: offerB.mid, from: pub }]]);
    mark = ctl.transport.length;
    await bus.call(NODE, 'onTransportSignaling', [sub, { type: 'offer', sdp: offerB.sdp }]);
    await pageAnswer(pageB, await ctl.answerFor(sub, mark));

    let stats = await receiveStats(pageB);
    const started = Date.now();
    while ((stats.remote?.reportsSent ?? 0) < 3 && Date.now() - started < 15_000) {
      await new Promise((r) => setTimeout(r, 250));
      stats = await receiveStats(pageB);
    }
    const { inbound, remote } = stats;
    assert.ok(inbound && remote, `inbound and remote-outbound stats (${JSON.stringify(stats)})`);
    assert.ok(remote.reportsSent >= 3, `SRs received: ${remote.reportsSent}`);
    // An SR counts what was sent up to it: at most what arrived since (plus loss), and at
    // least what arrived a couple of seconds earlier.
    assert.ok(remote.packetsSent > 0);
    assert.ok(remote.packetsSent <= inbound.packetsReceived + inbound.packetsLost + 2, JSON.stringify(stats));
    assert.ok(remote.packetsSent >= inbound.packetsReceived * 0.5, JSON.stringify(stats));
    // Octets are payload octets: the same mean payload size as Chromium counts.
    const srMean = remote.bytesSent / remote.packetsSent;
    const rxMean = inbound.bytesReceived / inbound.packetsReceived;
    assert.ok(Math.abs(srMean - rxMean) / rxMean < 0.15, `mean payload ${srMean} vs ${rxMean}`);
    // NTP time of the SR is the wall clock (same machine): at most the SR interval old.
    const age = stats.now - remote.remoteTimestamp;
    assert.ok(age > -100 && age < 2500, `SR NTP time ${age} ms before now`);
    const nodeStats = await bus.call<{ sessions: { direction: string; rttMs?: number }[] }>(
      NODE,
      'getStats',
      [sub],
    );
    const rtt = nodeStats.sessions.find((s) => s.direction === 'out')?.rttMs;
    assert.ok(rtt !== undefined && rtt >= 0 && rtt < 200, `node RTT from Chromium's RR: ${rtt}`);
    t.diagnostic(
      `SR: ${JSON.stringify(remote)}; inbound: ${JSON.stringify(inbound)}; RTT ${rtt?.toFixed(2)} ms`,
    );
    await bus.call(NODE, 'destroyTransport', [sub]);
    await bus.call(NODE, 'destroyTransport', [pub]);
  });
});
