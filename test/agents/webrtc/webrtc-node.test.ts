import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { PublicationMedia } from '../../../agents/webrtc/protocol.js';
import { layerStreamId } from '../../../agents/webrtc/protocol.js';
import { webrtcNodeConfigSchema } from '../../../agents/webrtc/webrtc-config.js';
import { WebrtcNode } from '../../../agents/webrtc/webrtc-node.js';
import type { VideoFrame } from '../../../common/media/media-frame.js';
import { LocalBus } from '../../../common/rpc/local-bus.js';
import {
  BotPeer,
  type EncodedClip,
  encodeH264Clip,
  encodeVp8Clip,
  FakeController,
  FramePump,
  RecordingSink,
  SimulcastPump,
  waitFor,
} from './webrtc-bots.js';

const SECRET = 'test-cluster-secret-0123456789abcdef';
const CONTROLLER = 'conference-test';

function nodeConfig() {
  return webrtcNodeConfigSchema.parse({
    webrtc: { additionalHostAddresses: ['127.0.0.1'] },
    cluster: { secret: SECRET },
  });
}

type Cleanup = () => unknown;

/** In-process webrtc node served on the bus under nodeId. */
async function startNode(bus: LocalBus, nodeId: string, cleanups: Cleanup[]): Promise<WebrtcNode> {
  const node = await WebrtcNode.start({ nodeId, bus, config: nodeConfig() });
  cleanups.push(() => node.close());
  const server = await bus.serve(nodeId, node.handlers());
  cleanups.push(() => server.close());
  return node;
}

function call<T = unknown>(bus: LocalBus, node: string, method: string, args: unknown[]): Promise<T> {
  return bus.call<T>(node, method, args, { timeoutMs: 15_000 });
}

/** One offer/answer round: the bot offers, the node answers through the controller. */
async function negotiate(
  bus: LocalBus,
  nodeId: string,
  ctl: FakeController,
  transportId: string,
  bot: BotPeer,
) {
  const mark = ctl.transport.length;
  const sdp = await bot.offer();
  await call(bus, nodeId, 'onTransportSignaling', [transportId, { type: 'offer', sdp }]);
  const answer = await ctl.answerFor(transportId, mark);
  await bot.answer(answer);
  return answer;
}

/** A bot publishing one video track on a new transport (id = session id). */
/**
 * A test's bus with the fake conference controller served on it, and its cleanups (run in
 * reverse after the test, also when it fails).
 */
async function testBed(t: TestContext): Promise<{ cleanups: Cleanup[]; bus: LocalBus; ctl: FakeController }> {
  const cleanups: Cleanup[] = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const bus = new LocalBus();
  const ctl = new FakeController();
  const ctlServer = await ctl.serve(bus, CONTROLLER);
  cleanups.push(() => ctlServer.close());
  return { cleanups, bus, ctl };
}

async function publishVideo(
  bus: LocalBus,
  nodeId: string,
  ctl: FakeController,
  sessionId: string,
  clip: EncodedClip,
  codec: 'vp8' | 'h264',
  cleanups: Cleanup[],
  loss: { rtx?: boolean; dropOutgoingPercent?: number } = {},
) {
  const bot = new BotPeer(loss.rtx ? [codec, 'rtx'] : [codec], ['opus'], false, {
    dropOutgoingPercent: loss.dropOutgoingPercent ?? 0,
  });
  cleanups.push(() => bot.close());
  await call(bus, nodeId, 'createTransport', [
    sessionId,
    { room: 'room-1', owner: 'alice', controller: CONTROLLER },
  ]);
  const video = bot.addSendonly('video');
  // The SDK learns mids from its offer; publish names them before the offer reaches the node.
  await bot.pc.setLocalDescription(await bot.pc.createOffer());
  await call(bus, nodeId, 'publish', [
    sessionId,
    sessionId,
    [{ type: 'video', mid: video.mid, source: 'camera' }],
  ]);
  const answer = await negotiate(bus, nodeId, ctl, sessionId, bot);
  const pump = new FramePump(video, codec, clip.frames, 6000);
  cleanups.push(() => pump.stop());
  await waitFor(() => bot.pc.connectionState === 'connected', 10_000, 'publisher connected');
  pump.start(30);
  return { bot, video, pump, answer };
}

async function subscribeVideo(
  bus: LocalBus,
  nodeId: string,
  ctl: FakeController,
  transportId: string,
  from: string,
  codec: 'vp8' | 'h264',
  cleanups: Cleanup[],
  dropIncomingPercent = 0,
  rtx = false,
) {
  const bot = new BotPeer(rtx ? [codec, 'rtx'] : [codec], ['opus'], false, { dropIncomingPercent });
  cleanups.push(() => bot.close());
  await call(bus, nodeId, 'createTransport', [
    transportId,
    { room: 'room-1', owner: 'bob', controller: CONTROLLER },
  ]);
  const video = bot.addRecvonly('video');
  await bot.pc.setLocalDescription(await bot.pc.createOffer());
  await call(bus, nodeId, 'subscribe', [transportId, transportId, [{ type: 'video', mid: video.mid, from }]]);
  const answer = await negotiate(bus, nodeId, ctl, transportId, bot);
  return { bot, video, answer };
}

/** Index of `frame` in the clip (byte-identical), or -1. */
function clipIndex(clip: EncodedClip, payload: Uint8Array): number {
  return clip.frames.findIndex((f) => Buffer.compare(Buffer.from(f), Buffer.from(payload)) === 0);
}

/** Every frame is a clip frame, in clip order (looping), starting with a keyframe. */
function assertClipSequence(clip: EncodedClip, frames: VideoFrame[]): void {
  assert.ok(frames.length > 0);
  assert.equal(frames[0]!.keyframe, true, 'first frame is a keyframe');
  let expected = clipIndex(clip, frames[0]!.payload);
  assert.ok(expected >= 0, 'first frame is one of the clip');
  for (const [i, frame] of frames.entries()) {
    assert.equal(clipIndex(clip, frame.payload), expected, `frame ${i} in clip order`);
    expected = (expected + 1) % clip.frames.length;
  }
}

describe('webrtc node (werift bots, in-process node on a LocalBus)', () => {
  let vp8: EncodedClip;
  let h264: EncodedClip;
  before(() => {
    vp8 = encodeVp8Clip();
    h264 = encodeH264Clip();
  });

  it('publish VP8: answer follows the SDP rules, frames reach the router whole', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    const { answer } = await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);

    assert.match(answer, /a=candidate:.* 127\.0\.0\.1 /, 'server candidates in the answer');
    assert.doesNotMatch(answer, /transport-cc/, 'no transport-cc (trap 1)');
    assert.match(answer, /a=recvonly/);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'session ready');
    assert.ok(ctl.transport.some((e) => e.transportId === 'pub-1' && e.progress.type === 'ready'));
    const ready = ctl.sessionState('pub-1', 'ready');
    const media = (ready as { media: PublicationMedia }).media;
    assert.equal(media.tracks[0]?.format.codec, 'vp8');
    assert.equal(media.tracks[0]?.source, 'camera');

    const probe = new RecordingSink();
    node.router.subscribe('probe', probe);
    node.router.linkup('probe', 'pub-1');
    await waitFor(() => probe.frames.length >= 20, 10_000, '20 frames in the router');
    const frames = probe.frames as VideoFrame[];
    assertClipSequence(vp8, frames);
    assert.equal(frames[0]!.width, 320);
    assert.equal(frames[0]!.height, 240);
    assert.ok(frames.every((f) => f.codec === 'vp8' && f.kind === 'video'));
    // Keyframes exactly where the clip has them (every 15th frame).
    for (const f of frames) assert.equal(f.keyframe, clipIndex(vp8, f.payload) % 15 === 0);
    // The resolution became known and was reported.
    await waitFor(
      () => ctl.session.some((e) => e.sessionId === 'pub-1' && e.progress.type === 'media-update'),
      5_000,
      'media-update',
    );
    const stats = await call<{ sessions: { direction: string; frames: number; packets: number }[] }>(
      bus,
      'webrtc-a',
      'getStats',
      ['pub-1'],
    );
    assert.ok(stats.sessions[0]!.frames >= 20 && stats.sessions[0]!.packets >= 20);
  });

  it('subscribe: the subscriber depacketizes whole frames; its PLI reaches the publisher', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    await startNode(bus, 'webrtc-a', cleanups);
    const pub = await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'publication ready');
    const sub = await subscribeVideo(bus, 'webrtc-a', ctl, 'sub-1', 'pub-1', 'vp8', cleanups);

    assert.match(sub.answer, /a=sendonly/);
    assert.match(sub.answer, /a=msid:sub-1 /, 'msid stream id = subscription id');
    await waitFor(() => ctl.sessionState('sub-1', 'ready') !== undefined, 10_000, 'subscription ready');
    await waitFor(() => sub.bot.received.length >= 20, 10_000, '20 frames at the subscriber');
    assertClipSequence(vp8, sub.bot.received as VideoFrame[]);

    // Quiet while nobody asks; a subscriber PLI makes the publisher get one.
    await new Promise((r) => setTimeout(r, 400));
    const quiet = pub.bot.plisReceived;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(pub.bot.plisReceived, quiet, 'no PLI without a reason');
    const ssrc = sub.video.receiver.tracks[0]!.ssrc!;
    await sub.video.receiver.sendRtcpPLI(ssrc);
    await waitFor(() => pub.bot.plisReceived > quiet, 5_000, 'PLI at the publisher');
  });

  it("NACK: 10 % loss towards a subscriber is repaired from the node's own history", async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'publication ready');
    const sub = await subscribeVideo(bus, 'webrtc-a', ctl, 'sub-1', 'pub-1', 'vp8', cleanups, 10);
    await waitFor(() => sub.bot.received.length >= 40, 20_000, '40 frames at the lossy subscriber');
    const counters = node.transport('sub-1')?.subscriptions.get('sub-1')?.counters('video');
    assert.ok(counters, 'subscription counters');
    assert.ok(counters.nacks > 0, `NACKs answered: ${counters.nacks}`);
    assert.ok(counters.retransmitted > 0, `packets resent: ${counters.retransmitted}`);
    // Every frame arrives whole and in clip order: the losses were repaired, not skipped.
    assertClipSequence(vp8, sub.bot.received as VideoFrame[]);
    const { lost, received } = sub.bot.packetStats();
    assert.ok(lost <= received * 0.01, `packets lost for good: ${lost} of ${received}`);
    t.diagnostic(`NACKs ${counters.nacks}, resent ${counters.retransmitted}, lost ${lost}/${received}`);
  });

  it('RTX: a subscriber that offers RTX gets it in the answer and its losses repaired on the RTX SSRC', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'publication ready');
    const sub = await subscribeVideo(bus, 'webrtc-a', ctl, 'sub-1', 'pub-1', 'vp8', cleanups, 10, true);
    const group = /a=ssrc-group:FID (\d+) (\d+)/.exec(sub.answer);
    assert.ok(group, `FID group in the answer:\n${sub.answer}`);
    const rtxPt = /a=rtpmap:(\d+) rtx\/90000/.exec(sub.answer)?.[1];
    assert.ok(rtxPt, 'rtx payload type in the answer');
    assert.match(sub.answer, new RegExp(`a=fmtp:${rtxPt} apt=\\d+`));
    await waitFor(() => sub.bot.received.length >= 40, 20_000, '40 frames at the lossy subscriber');
    const counters = node.transport('sub-1')?.subscriptions.get('sub-1')?.counters('video');
    assert.ok(counters && counters.retransmitted > 0, `packets resent: ${counters?.retransmitted}`);
    // werift's receiver saw packets on the RTX SSRC and unwrapped them into the media stream.
    const remote = (sub.video.receiver as unknown as { remoteStreams: Record<string, unknown> })
      .remoteStreams;
    assert.ok(Object.keys(remote).includes(group[2]!), `packets on the RTX SSRC ${group[2]}`);
    assertClipSequence(vp8, sub.bot.received as VideoFrame[]);
  });

  it('RTX from a publisher: 10 % loss on the way in is repaired from its RTX SSRC; frames reach the router whole', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    const pub = await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups, {
      rtx: true,
      dropOutgoingPercent: 10,
    });
    const rtxPt = /a=rtpmap:(\d+) rtx\/90000/.exec(pub.answer)?.[1];
    assert.ok(rtxPt, `rtx in the publication's answer:\n${pub.answer}`);
    assert.doesNotMatch(pub.answer, /a=ssrc-group:FID/, 'we receive there: no SSRCs of ours');
    const probe = new RecordingSink();
    node.router.subscribe('probe', probe);
    await waitFor(() => node.router.hasStream('pub-1'), 10_000, 'publication stream');
    node.router.linkup('probe', 'pub-1');
    await waitFor(() => probe.frames.length >= 40, 20_000, '40 frames from the lossy publisher');
    // Every frame whole and in clip order: the losses were repaired through RTX.
    assertClipSequence(vp8, probe.frames as VideoFrame[]);
    // The bot's werift sender negotiated RTX, so every retransmission went out on its RTX SSRC.
    assert.equal((pub.video.sender as unknown as { rtxPayloadType?: number }).rtxPayloadType, Number(rtxPt));
    assert.match(pub.bot.pc.localDescription?.sdp ?? '', /a=ssrc-group:FID \d+ \d+/);
  });

  it('publish on node A, subscribe on node B across an internal link (with keyframe requests back)', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    await startNode(bus, 'webrtc-a', cleanups);
    await startNode(bus, 'webrtc-b', cleanups);
    const pub = await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'publication ready');

    // What the conference does: destination accepts, source sends over a link.
    const address = await call<{ nodeId: string; host: string; port: number }>(
      bus,
      'webrtc-b',
      'getLinkAddress',
      [],
    );
    await call(bus, 'webrtc-b', 'publishInternal', ['pub-1', { type: 'internal', fromNode: 'webrtc-a' }]);
    await call(bus, 'webrtc-a', 'subscribeInternal', [
      'link-pub-1-b',
      { type: 'internal', toNode: 'webrtc-b', address: { host: address.host, port: address.port } },
    ]);
    await call(bus, 'webrtc-a', 'linkup', ['link-pub-1-b', 'pub-1']);
    // The conference knows the codec from StreamInfo; B has no local publication to ask.
    const bot = new BotPeer(['vp8']);
    cleanups.push(() => bot.close());
    await call(bus, 'webrtc-b', 'createTransport', [
      'sub-b',
      { room: 'room-1', owner: 'bob', controller: CONTROLLER },
    ]);
    const video = bot.addRecvonly('video');
    await bot.pc.setLocalDescription(await bot.pc.createOffer());
    await call(bus, 'webrtc-b', 'subscribe', [
      'sub-b',
      'sub-b',
      [{ type: 'video', mid: video.mid, from: 'pub-1', codec: 'vp8' }],
    ]);
    await negotiate(bus, 'webrtc-b', ctl, 'sub-b', bot);
    await waitFor(() => bot.received.length >= 20, 15_000, '20 frames at the subscriber on B');
    assertClipSequence(vp8, bot.received as VideoFrame[]);

    await new Promise((r) => setTimeout(r, 400));
    const before = pub.bot.plisReceived;
    await video.receiver.sendRtcpPLI(video.receiver.tracks[0]!.ssrc!);
    await waitFor(() => pub.bot.plisReceived > before, 5_000, 'PLI from B at the publisher on A');
  });

  it('renegotiation: a second publication on the same transport adds an m-line', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    const first = await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'first ready');

    const second = first.bot.addSendonly('video');
    await first.bot.pc.setLocalDescription(await first.bot.pc.createOffer());
    await call(bus, 'webrtc-a', 'publish', ['pub-1', 'pub-2', [{ type: 'video', mid: second.mid }]]);
    const answer = await negotiate(bus, 'webrtc-a', ctl, 'pub-1', first.bot);
    assert.equal((answer.match(/^m=video/gm) ?? []).length, 2);
    await waitFor(() => ctl.sessionState('pub-2', 'ready') !== undefined, 10_000, 'second ready');
    const pump = new FramePump(second, 'vp8', vp8.frames, 6000);
    cleanups.push(() => pump.stop());
    pump.start(30);

    const probe1 = new RecordingSink();
    const probe2 = new RecordingSink();
    node.router.subscribe('probe-1', probe1);
    node.router.subscribe('probe-2', probe2);
    node.router.linkup('probe-1', 'pub-1');
    node.router.linkup('probe-2', 'pub-2');
    await waitFor(() => probe1.frames.length >= 10 && probe2.frames.length >= 10, 10_000, 'frames of both');
    assertClipSequence(vp8, probe2.frames as VideoFrame[]);

    // Unpublish does not renegotiate; the next offer's answer keeps the m-line, inactive, in BUNDLE.
    await call(bus, 'webrtc-a', 'unpublish', ['pub-1', 'pub-2']);
    assert.equal(node.router.hasStream('pub-2'), false);
    const again = await negotiate(bus, 'webrtc-a', ctl, 'pub-1', first.bot);
    const sections = again.split(/^m=/m).slice(1);
    const closed = sections.find((s) => s.includes(`a=mid:${second.mid}\r`));
    assert.ok(closed, 'closed mid still answered');
    assert.match(closed, /a=inactive/);
    assert.doesNotMatch(closed, /^video 0 /, 'port is not 0');
    assert.match(again, new RegExp(`a=group:BUNDLE .*\\b${second.mid}\\b`));
  });

  it('H264: publish and subscribe (constrained baseline, mode 1)', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    const { answer } = await publishVideo(bus, 'webrtc-a', ctl, 'pub-h', h264, 'h264', cleanups);
    assert.match(answer, /a=rtpmap:\d+ H264\/90000/);
    assert.match(answer, /packetization-mode=1/);
    await waitFor(() => ctl.sessionState('pub-h', 'ready') !== undefined, 10_000, 'ready');
    const probe = new RecordingSink();
    node.router.subscribe('probe', probe);
    node.router.linkup('probe', 'pub-h');
    const sub = await subscribeVideo(bus, 'webrtc-a', ctl, 'sub-h', 'pub-h', 'h264', cleanups);
    await waitFor(() => probe.frames.length >= 20, 10_000, 'H264 frames in the router');
    const frames = probe.frames as VideoFrame[];
    assert.equal(frames[0]!.keyframe, true);
    assert.ok(frames.every((f) => f.codec === 'h264'));
    assert.deepEqual([frames[0]!.width, frames[0]!.height], [320, 240]);
    // One keyframe per 15 frames of the clip.
    const keys = frames.slice(0, 15).filter((f) => f.keyframe).length;
    assert.equal(keys, 1);
    await waitFor(() => sub.bot.received.length >= 15, 10_000, 'H264 frames at the subscriber');
    const got = sub.bot.received as VideoFrame[];
    assert.equal(got[0]!.keyframe, true);
    assert.deepEqual([got[0]!.width, got[0]!.height], [320, 240]);
  });

  it('mute and unmute: publication and subscription', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    await publishVideo(bus, 'webrtc-a', ctl, 'pub-1', vp8, 'vp8', cleanups);
    await waitFor(() => ctl.sessionState('pub-1', 'ready') !== undefined, 10_000, 'ready');
    const sub = await subscribeVideo(bus, 'webrtc-a', ctl, 'sub-1', 'pub-1', 'vp8', cleanups);
    const probe = new RecordingSink();
    node.router.subscribe('probe', probe);
    node.router.linkup('probe', 'pub-1');
    await waitFor(() => sub.bot.received.length >= 5 && probe.frames.length >= 5, 10_000, 'flowing');

    // Subscription muted: the subscriber gets nothing, the router still does.
    await call(bus, 'webrtc-a', 'mute', ['sub-1', 'video', true]);
    await new Promise((r) => setTimeout(r, 200));
    const subCount = sub.bot.receivedPackets;
    const probeCount = probe.frames.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sub.bot.receivedPackets, subCount, 'muted subscription sends nothing');
    assert.ok(probe.frames.length > probeCount, 'the publication still flows');
    await call(bus, 'webrtc-a', 'mute', ['sub-1', 'video', false]);
    await waitFor(() => sub.bot.receivedPackets > subCount, 5_000, 'subscription resumed');

    // Publication muted: nothing leaves it.
    await call(bus, 'webrtc-a', 'mute', ['pub-1', 'av', true]);
    await new Promise((r) => setTimeout(r, 200));
    const muted = probe.frames.length;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(probe.frames.length, muted, 'muted publication delivers no frames');
    await call(bus, 'webrtc-a', 'mute', ['pub-1', 'av', false]);
    await waitFor(() => probe.frames.length > muted, 5_000, 'publication resumed');
  });

  it('simulcast: rid layers become streams; a subscriber switches layer on a keyframe', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const small = encodeVp8Clip('160x120');
    const node = await startNode(bus, 'webrtc-a', cleanups);
    const bot = new BotPeer(['vp8'], ['opus'], true);
    cleanups.push(() => bot.close());
    await call(bus, 'webrtc-a', 'createTransport', [
      'pub-s',
      { room: 'room-1', owner: 'alice', controller: CONTROLLER },
    ]);
    const video = bot.addSimulcastSendonly(['q', 'f']);
    await bot.pc.setLocalDescription(await bot.pc.createOffer());
    await call(bus, 'webrtc-a', 'publish', ['pub-s', 'pub-s', [{ type: 'video', mid: video.mid }]]);
    const answer = await negotiate(bus, 'webrtc-a', ctl, 'pub-s', bot);
    assert.match(answer, /a=rid:q recv/, 'rids mirrored as recv');
    assert.match(answer, /a=simulcast:recv q;f/);
    await waitFor(() => bot.pc.connectionState === 'connected', 10_000, 'connected');
    const pump = new SimulcastPump(video, [
      { rid: 'q', frames: small.frames },
      { rid: 'f', frames: vp8.frames },
    ]);
    cleanups.push(() => pump.stop());
    pump.start(30);
    await waitFor(() => ctl.sessionState('pub-s', 'ready') !== undefined, 10_000, 'ready');
    const ready = ctl.sessionState('pub-s', 'ready') as { media: PublicationMedia };
    assert.deepEqual(ready.media.tracks[0]?.rids, ['q', 'f']);

    const probeQ = new RecordingSink();
    const probeF = new RecordingSink();
    const probeMain = new RecordingSink();
    node.router.subscribe('probe-q', probeQ);
    node.router.subscribe('probe-f', probeF);
    node.router.subscribe('probe-main', probeMain);
    node.router.linkup('probe-q', layerStreamId('pub-s', 'q'));
    node.router.linkup('probe-f', layerStreamId('pub-s', 'f'));
    node.router.linkup('probe-main', 'pub-s');
    await waitFor(
      () => probeQ.frames.length >= 10 && probeF.frames.length >= 10 && probeMain.frames.length >= 10,
      10_000,
      'frames of both layers',
    );
    assertClipSequence(small, probeQ.frames as VideoFrame[]);
    assertClipSequence(vp8, probeF.frames as VideoFrame[]);
    assertClipSequence(small, probeMain.frames as VideoFrame[]); // the first rid
    await waitFor(
      () => {
        const media = ctl.session.filter(
          (e) => e.sessionId === 'pub-s' && e.progress.type === 'media-update',
        );
        const last = media[media.length - 1]?.progress as { media: PublicationMedia } | undefined;
        return Object.keys(last?.media.tracks[0]?.resolutions ?? {}).length === 2;
      },
      5_000,
      'both layer resolutions reported',
    );

    const sub = new BotPeer(['vp8']);
    cleanups.push(() => sub.close());
    await call(bus, 'webrtc-a', 'createTransport', [
      'sub-s',
      { room: 'room-1', owner: 'bob', controller: CONTROLLER },
    ]);
    const recv = sub.addRecvonly('video');
    await sub.pc.setLocalDescription(await sub.pc.createOffer());
    await call(bus, 'webrtc-a', 'subscribe', [
      'sub-s',
      'sub-s',
      [{ type: 'video', mid: recv.mid, from: 'pub-s', rid: 'f' }],
    ]);
    await negotiate(bus, 'webrtc-a', ctl, 'sub-s', sub);
    await waitFor(() => sub.received.length >= 10, 10_000, 'f layer at the subscriber');
    const got = sub.received as VideoFrame[];
    assert.ok(
      got.every((f) => f.width === 320),
      'f layer is 320 wide',
    );
    // Ask by resolution: the smallest layer at least 160x120 is q.
    const switched = await call<{ streamId: string }>(bus, 'webrtc-a', 'setLayer', [
      'sub-s',
      { resolution: { width: 160, height: 120 } },
    ]);
    assert.equal(switched.streamId, 'pub-s:q');
    const at = got.length;
    await waitFor(() => got.length >= at + 20, 10_000, 'frames after the switch');
    const after = got.slice(at);
    const firstQ = after.findIndex((f) => f.width === 160);
    assert.ok(firstQ >= 0, 'q frames arrive');
    assert.equal(after[firstQ]!.keyframe, true, 'the switch happens on a keyframe of the new layer');
    assertClipSequence(small, after.slice(firstQ));

    // Ask by bitrate: the largest layer whose measured receive rate fits.
    const publication = node.transport('pub-s')?.publications.get('pub-s');
    await waitFor(() => (publication?.layerBitrates().size ?? 0) === 2, 5_000, 'both layer rates measured');
    const rates = publication!.layerBitrates();
    const [q, f] = [rates.get('q')!, rates.get('f')!];
    assert.ok(q < f, `q ${q} bps < f ${f} bps`);
    const byBudget = async (bitrate: number | string) =>
      (await call<{ streamId: string }>(bus, 'webrtc-a', 'setLayer', ['sub-s', { bitrate }])).streamId;
    assert.equal(await byBudget(Math.ceil((f * 2) / 1000)), 'pub-s:f', 'room for the top layer');
    assert.equal(await byBudget(Math.floor((q + f) / 2 / 1000)), 'pub-s:q', 'only q fits');
    assert.equal(await byBudget(1), 'pub-s:q', 'nothing fits: the smallest');
    assert.equal(await byBudget('x1'), 'pub-s:f', "'x1' of the top layer");
    await assert.rejects(call(bus, 'webrtc-a', 'setLayer', ['sub-s', { bitrate: 'half' }]), {
      name: 'ValidationError',
    });
  });

  it('audio and video in one publication and one subscription (Opus + VP8)', async (t) => {
    const { cleanups, bus, ctl } = await testBed(t);
    const node = await startNode(bus, 'webrtc-a', cleanups);
    const bot = new BotPeer(['vp8'], ['opus']);
    cleanups.push(() => bot.close());
    await call(bus, 'webrtc-a', 'createTransport', [
      'pub-av',
      { room: 'room-1', owner: 'alice', controller: CONTROLLER },
    ]);
    const audio = bot.addSendonly('audio');
    const video = bot.addSendonly('video');
    await bot.pc.setLocalDescription(await bot.pc.createOffer());
    await call(bus, 'webrtc-a', 'publish', [
      'pub-av',
      'pub-av',
      [
        { type: 'audio', mid: audio.mid, source: 'mic' },
        { type: 'video', mid: video.mid, source: 'camera' },
      ],
    ]);
    await negotiate(bus, 'webrtc-a', ctl, 'pub-av', bot);
    await waitFor(() => bot.pc.connectionState === 'connected', 10_000, 'connected');
    // Opus frames are opaque to the node: distinct 80-byte packets, 20 ms apart.
    const opus = Array.from({ length: 50 }, (_, i) => new Uint8Array(80).fill(i + 1));
    const audioPump = new FramePump(audio, 'opus', opus, 960);
    const videoPump = new FramePump(video, 'vp8', vp8.frames, 6000);
    cleanups.push(() => audioPump.stop());
    cleanups.push(() => videoPump.stop());
    audioPump.start(20);
    videoPump.start(30);
    await waitFor(() => ctl.sessionState('pub-av', 'ready') !== undefined, 10_000, 'ready');
    const media = (ctl.sessionState('pub-av', 'ready') as { media: PublicationMedia }).media;
    assert.deepEqual(
      media.tracks.map((tr) => [tr.type, tr.format.codec, tr.source]),
      [
        ['audio', 'opus', 'mic'],
        ['video', 'vp8', 'camera'],
      ],
    );
    assert.equal(media.tracks[0]?.format.sampleRate, 48000);

    const sub = new BotPeer(['vp8'], ['opus']);
    cleanups.push(() => sub.close());
    await call(bus, 'webrtc-a', 'createTransport', [
      'sub-av',
      { room: 'room-1', owner: 'bob', controller: CONTROLLER },
    ]);
    const ra = sub.addRecvonly('audio');
    const rv = sub.addRecvonly('video');
    await sub.pc.setLocalDescription(await sub.pc.createOffer());
    await call(bus, 'webrtc-a', 'subscribe', [
      'sub-av',
      'sub-av',
      [
        { type: 'audio', mid: ra.mid, from: 'pub-av' },
        { type: 'video', mid: rv.mid, from: 'pub-av' },
      ],
    ]);
    const answer = await negotiate(bus, 'webrtc-a', ctl, 'sub-av', sub);
    assert.equal((answer.match(/a=msid:sub-av /g) ?? []).length, 2, 'one msid stream for both tracks');
    const audioAt = () => sub.received.filter((f) => f.kind === 'audio');
    const videoAt = () => sub.received.filter((f) => f.kind === 'video');
    await waitFor(
      () => audioAt().length >= 20 && videoAt().length >= 10,
      10_000,
      'audio and video at the subscriber',
    );
    const a = audioAt();
    assert.ok(a.every((f) => f.codec === 'opus' && f.payload.length === 80));
    // Consecutive Opus packets arrive in order (no reordering, nothing lost on loopback).
    for (let i = 1; i < a.length; i++) {
      assert.equal(a[i]!.payload[0], (a[i - 1]!.payload[0]! % 50) + 1);
    }
    assertClipSequence(vp8, videoAt() as VideoFrame[]);
    const stats = await call<{
      sessions: { sessionId: string; direction: string; kind: string; frames: number }[];
    }>(bus, 'webrtc-a', 'getStats', ['sub-av']);
    assert.deepEqual(stats.sessions.map((s) => [s.direction, s.kind]).sort(), [
      ['out', 'audio'],
      ['out', 'video'],
    ]);
    assert.ok(node.router.hasStream('pub-av'));
  });

  it('rejects bad arguments and unknown transports with named errors', async (t) => {
    const cleanups: Cleanup[] = [];
    t.after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    // No controller yet: the test serves its own further down.
    const bus = new LocalBus();
    await startNode(bus, 'webrtc-a', cleanups);
    await assert.rejects(call(bus, 'webrtc-a', 'publish', ['nope', 's', [{ type: 'video', mid: '0' }]]), {
      name: 'UnknownSessionError',
    });
    await assert.rejects(call(bus, 'webrtc-a', 'createTransport', ['', {}]), { name: 'ValidationError' });
    await call(bus, 'webrtc-a', 'createTransport', ['t', { room: 'r', owner: 'o', controller: CONTROLLER }]);
    await assert.rejects(call(bus, 'webrtc-a', 'onTransportSignaling', ['t', { type: 'bogus' }]), {
      name: 'NegotiationError',
    });
    await assert.rejects(call(bus, 'webrtc-a', 'mute', ['ghost', 'video', true]), {
      name: 'UnknownSessionError',
    });
    // An offer werift cannot apply fails the transport through progress (soac itself is acked).
    const ctl = new FakeController();
    const ctlServer = await ctl.serve(bus, CONTROLLER);
    cleanups.push(() => ctlServer.close());
    await call(bus, 'webrtc-a', 'onTransportSignaling', [
      't',
      { type: 'offer', sdp: 'v=0\r\nm=video x\r\n' },
    ]);
    await waitFor(
      () => ctl.transport.some((e) => e.transportId === 't' && e.progress.type === 'failed'),
      5_000,
      'failed progress',
    );
    assert.equal(layerStreamId('s', 'q'), 's:q');
  });
});

after(() => {
  // node:test keeps the process alive on open handles; every test closes its own.
});
