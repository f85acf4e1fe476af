import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { NotFoundError, ValidationError } from '../../common/errors.js';
import { LinkHub } from '../../common/links/link-hub.js';
import { FrameGeneratorSource, generatedSequence } from '../../common/media/frame-generator-source.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { mediaPrimitiveHandlers } from '../../common/media/media-primitive-handlers.js';
import { MediaRouter } from '../../common/media/media-router.js';
import { DuplicateIdError } from '../../common/media/media-router-errors.js';
import { SECRET, startServer, waitFor } from './link-test-helpers.js';

/** Records frames; `ask` sends feedback to whatever it is linked to. */
class RecordingSink implements MediaSink {
  readonly type = 'recording';
  readonly frames: MediaFrame[] = [];
  linkedTo: string | undefined;
  closed = false;
  private feedback: ((fb: MediaFeedback) => void) | undefined;

  onLinkup(streamId: string, feedback: (fb: MediaFeedback) => void): void {
    this.linkedTo = streamId;
    this.feedback = feedback;
  }
  onCutoff(): void {
    this.linkedTo = undefined;
  }
  onFrame(frame: MediaFrame): void {
    this.frames.push(frame);
  }
  close(): void {
    this.closed = true;
  }
  ask(fb: MediaFeedback): void {
    this.feedback?.(fb);
  }
  get sequences(): number[] {
    return this.frames.map(generatedSequence);
  }
}

describe('media router', () => {
  it('a merge stream joins the audio of one stream and the video of another; feedback goes to the video', () => {
    const router = new MediaRouter();
    const hub = new LinkHub({ nodeId: 'n1', secret: SECRET });
    const handlers = mediaPrimitiveHandlers(router, hub);
    // Each source carries both kinds: the merge must take only the named kind from each.
    const mic = new FrameGeneratorSource({ kind: 'audio' });
    const micVideo = new FrameGeneratorSource({ kind: 'video' });
    const cam = new FrameGeneratorSource({ kind: 'video' });
    router.publish('voice', mic);
    router.publish('picture', cam);
    router.publish('voice-video', micVideo);
    assert.throws(() => handlers.publish('m', { type: 'merge' }), ValidationError);
    assert.throws(
      () => handlers.publish('m', { type: 'merge', audio: 'nope', video: 'picture' }),
      NotFoundError,
    );
    assert.equal(router.hasStream('m'), false, 'a refused merge publishes nothing');
    handlers.publish('m', { type: 'merge', audio: 'voice', video: 'picture' });
    const viewer = new RecordingSink();
    router.subscribe('viewer', viewer);
    const camRequestsBefore = cam.keyframeRequests;
    router.linkup('viewer', 'm');
    assert.equal(cam.keyframeRequests, camRequestsBefore + 1, 'a new viewer of the merge asks the video');
    mic.next();
    cam.next();
    micVideo.next();
    mic.next();
    assert.deepEqual(
      viewer.frames.map((f) => f.kind),
      ['audio', 'video', 'audio'],
    );
    viewer.ask({ type: 'target-bitrate', bps: 200_000 });
    assert.deepEqual(cam.bitrateRequests, [200_000]);
    // Mixing a video-carrying stream as audio keeps its video out.
    handlers.publish('m2', { type: 'merge', audio: 'voice-video' });
    const listener = new RecordingSink();
    router.subscribe('listener', listener);
    router.linkup('listener', 'm2');
    micVideo.next();
    assert.equal(listener.frames.length, 0);
    handlers.unpublish('m');
    assert.equal(
      router.subscriptionList().some((s) => s.subscriptionId.startsWith('m#')),
      false,
      'unpublishing the merge lets go of its inputs',
    );
    cam.next();
    assert.equal(viewer.frames.length, 3);
    router.close();
  });

  it('delivers frames to every linked sink and feedback to the source', () => {
    const router = new MediaRouter();
    const cam = new FrameGeneratorSource();
    router.publish('cam', cam);
    const a = new RecordingSink();
    const b = new RecordingSink();
    router.subscribe('sub-a', a);
    router.subscribe('sub-b', b);
    cam.next();
    assert.equal(a.frames.length, 0, 'not linked yet');
    router.linkup('sub-a', 'cam');
    assert.equal(cam.keyframeRequests, 1, 'linkup asks for a keyframe');
    router.linkup('sub-b', 'cam');
    cam.next();
    cam.next();
    assert.deepEqual(a.sequences, [1, 2]);
    assert.deepEqual(b.sequences, [1, 2]);
    assert.equal(a.frames[0]!.kind === 'video' && a.frames[0]!.keyframe, true);

    b.ask({ type: 'keyframe-request' });
    b.ask({ type: 'target-bitrate', bps: 300_000 });
    assert.equal(cam.keyframeRequests, 3);
    assert.deepEqual(cam.bitrateRequests, [300_000]);

    router.cutoff('sub-b');
    assert.equal(b.linkedTo, undefined);
    b.ask({ type: 'keyframe-request' });
    assert.equal(cam.keyframeRequests, 3, 'feedback after cutoff is ignored');
    cam.next();
    assert.deepEqual(a.sequences, [1, 2, 3]);
    assert.deepEqual(b.sequences, [1, 2]);

    const info = router.streams();
    assert.deepEqual(info, [
      { streamId: 'cam', sourceType: 'generator', subscriptions: ['sub-a'], frames: 4 },
    ]);
  });

  it('moves a sink between streams and cuts sinks off on unpublish', () => {
    const router = new MediaRouter();
    const one = new FrameGeneratorSource();
    const two = new FrameGeneratorSource({ kind: 'audio' });
    router.publish('one', one);
    router.publish('two', two);
    const sink = new RecordingSink();
    router.subscribe('s', sink);
    router.linkup('s', 'one');
    one.next();
    router.linkup('s', 'two');
    assert.equal(sink.linkedTo, 'two');
    one.next();
    two.next();
    assert.deepEqual(
      sink.frames.map((f) => f.kind),
      ['video', 'audio'],
    );
    router.unpublish('two');
    assert.equal(sink.linkedTo, undefined);
    assert.throws(() => router.linkup('s', 'two'), NotFoundError);
    assert.throws(() => router.publish('one', new FrameGeneratorSource()), DuplicateIdError);
    assert.throws(() => router.subscribe('s', new RecordingSink()), DuplicateIdError);
    assert.throws(() => router.cutoff('nope'), NotFoundError);
    router.unsubscribe('s');
    assert.equal(sink.closed, true);
    router.close();
    assert.deepEqual(router.streams(), []);
  });

  it('keeps delivering to other sinks when one throws', () => {
    const router = new MediaRouter();
    const cam = new FrameGeneratorSource();
    router.publish('cam', cam);
    const bad: MediaSink = {
      type: 'bad',
      onLinkup() {},
      onCutoff() {},
      onFrame() {
        throw new Error('boom');
      },
      close() {},
    };
    const good = new RecordingSink();
    router.subscribe('bad', bad);
    router.subscribe('good', good);
    router.linkup('bad', 'cam');
    router.linkup('good', 'cam');
    cam.next();
    assert.equal(good.frames.length, 1);
  });
});

describe('media primitive RPC handlers', () => {
  it('validates arguments and refuses duplicate ids', (t) => {
    const router = new MediaRouter();
    const hub = new LinkHub({ nodeId: 'node-a', secret: SECRET });
    t.after(() => hub.close());
    t.after(() => router.close());
    const handlers = mediaPrimitiveHandlers(router, hub, {
      sources: { generator: () => new FrameGeneratorSource() },
    });
    assert.throws(() => handlers.publish('', { type: 'generator' }), ValidationError);
    assert.throws(() => handlers.publish('x'.repeat(256), { type: 'generator' }), ValidationError);
    assert.throws(() => handlers.publish('cam', { type: 'webrtc' }), ValidationError);
    assert.throws(() => handlers.publish('cam', { type: 'internal' }), /source\.fromNode/);
    assert.throws(
      () => handlers.publish('cam', { type: 'internal', fromNode: 'b', extra: 1 }),
      ValidationError,
    );
    assert.throws(
      () =>
        handlers.subscribe('s', {
          type: 'internal',
          toNode: 'b',
          address: { host: '127.0.0.1', port: 70_000 },
        }),
      /sink\.address\.port/,
    );
    assert.throws(() => handlers.linkup(42, 'cam'), ValidationError);
    assert.deepEqual(handlers.publish('cam', { type: 'generator' }), { streamId: 'cam', type: 'generator' });
    assert.throws(() => handlers.linkup('missing', 'cam'), NotFoundError);
    assert.equal(handlers.getLinkAddress(), null);

    // Two local streams cannot take the same remote stream: the second publish leaves no trace.
    handlers.publish('remote-1', { type: 'internal', fromNode: 'node-b', remoteStreamId: 'x' });
    assert.throws(
      () => handlers.publish('remote-2', { type: 'internal', fromNode: 'node-b', remoteStreamId: 'x' }),
      DuplicateIdError,
    );
    assert.equal(router.hasStream('remote-2'), false);
    // Two subscriptions cannot send under the same id to the same node.
    const address = { host: '127.0.0.1', port: 9 };
    handlers.subscribe('out-1', { type: 'internal', toNode: 'node-c', address, remoteStreamId: 'y' });
    handlers.subscribe('out-2', { type: 'internal', toNode: 'node-c', address, remoteStreamId: 'y' });
    handlers.linkup('out-1', 'cam');
    assert.throws(() => handlers.linkup('out-2', 'cam'), DuplicateIdError);
    assert.deepEqual(
      router.subscriptionList().map((s) => [s.subscriptionId, s.streamId]),
      [
        ['out-1', 'cam'],
        ['out-2', undefined],
      ],
    );
  });
});

/** Nodes A and B, each a router with its primitives; B's LinkServer takes A's link. Closed after `t`. */
async function twoNodes(t: TestContext) {
  const serverB = await startServer({ nodeId: 'node-b' });
  t.after(() => serverB.close());
  const hubA = new LinkHub({ nodeId: 'node-a', secret: SECRET });
  const hubB = new LinkHub({ nodeId: 'node-b', secret: SECRET, server: serverB });
  t.after(() => hubA.close());
  t.after(() => hubB.close());
  const routerA = new MediaRouter();
  const routerB = new MediaRouter();
  t.after(() => routerA.close());
  t.after(() => routerB.close());
  return {
    serverB,
    hubA,
    routerA,
    routerB,
    rpcA: mediaPrimitiveHandlers(routerA, hubA),
    rpcB: mediaPrimitiveHandlers(routerB, hubB),
  };
}

describe('two routers joined by a TCP link', () => {
  it('an internal sink with kinds sends only those frames (an audio mixer gets no video)', async (t) => {
    const { hubA, routerA, routerB, rpcA, rpcB } = await twoNodes(t);
    const mic = new FrameGeneratorSource({ kind: 'audio' });
    const cam = new FrameGeneratorSource({ kind: 'video' });
    routerA.publish('mic', mic);
    routerA.publish('cam', cam);
    // One stream carrying both kinds, as a publication does.
    rpcA.publish('av', { type: 'merge', audio: 'mic', video: 'cam' });
    const addressB = rpcB.getLinkAddress();
    assert.ok(addressB);
    assert.throws(
      () => rpcA.subscribe('bad', { type: 'internal', toNode: 'node-b', address: addressB, kinds: [] }),
      ValidationError,
    );
    rpcB.publish('av', { type: 'internal', fromNode: 'node-a' });
    const listener = new RecordingSink();
    routerB.subscribe('listener', listener);
    rpcB.linkup('listener', 'av');
    rpcA.subscribe('to-b', {
      type: 'internal',
      toNode: 'node-b',
      address: { host: addressB.host, port: addressB.port },
      kinds: ['audio'],
    });
    rpcA.linkup('to-b', 'av');
    const link = hubA.linksWith('node-b')[0]!;
    await waitFor(() => link.isOpen, 5_000, 'link open');
    for (let i = 0; i < 5; i++) {
      cam.next();
      mic.next();
    }
    await waitFor(() => listener.frames.length === 5, 5_000, 'audio at B');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      [...new Set(listener.frames.map((f) => f.kind))],
      ['audio'],
      'no video crossed the link',
    );
  });

  it('carries a stream from a source on A to a sink on B, with feedback back to A', async (t) => {
    const serverB = await startServer({ nodeId: 'node-b' });
    t.after(() => serverB.close());
    const hubA = new LinkHub({
      nodeId: 'node-a',
      secret: SECRET,
      client: { reconnect: { initialDelayMs: 20 } },
    });
    const hubB = new LinkHub({ nodeId: 'node-b', secret: SECRET, server: serverB });
    t.after(() => hubA.close());
    t.after(() => hubB.close());
    const routerA = new MediaRouter();
    const routerB = new MediaRouter();
    t.after(() => routerA.close());
    t.after(() => routerB.close());
    const cam = new FrameGeneratorSource({ keyframeInterval: 1000 });
    const rpcA = mediaPrimitiveHandlers(routerA, hubA, { sources: { generator: () => cam } });
    const rpcB = mediaPrimitiveHandlers(routerB, hubB);
    const viewer = new RecordingSink();

    // What a conference would do: the destination first, then the source side.
    const addressB = rpcB.getLinkAddress();
    assert.ok(addressB);
    rpcB.publish('cam', { type: 'internal', fromNode: 'node-a' });
    routerB.subscribe('viewer', viewer);
    rpcB.linkup('viewer', 'cam');
    rpcA.publish('cam', { type: 'generator' });
    rpcA.subscribe('to-b', {
      type: 'internal',
      toNode: 'node-b',
      address: { host: addressB.host, port: addressB.port },
    });
    rpcA.linkup('to-b', 'cam');
    const link = hubA.linksWith('node-b')[0]!;
    await waitFor(() => link.isOpen, 5_000, 'link open');

    for (let i = 0; i < 10; i++) cam.next();
    await waitFor(() => viewer.frames.length === 10, 5_000, 'frames at B');
    assert.deepEqual(viewer.sequences, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(viewer.frames[0]!.kind === 'video' && viewer.frames[0]!.keyframe, true);

    const before = cam.keyframeRequests;
    viewer.ask({ type: 'keyframe-request' });
    viewer.ask({ type: 'target-bitrate', bps: 800_000 });
    await waitFor(
      () => cam.keyframeRequests > before && cam.bitrateRequests.length > 0,
      5_000,
      'feedback at A',
    );
    assert.deepEqual(cam.bitrateRequests, [800_000]);
    const next = cam.next();
    assert.equal(next.kind === 'video' && next.keyframe, true, 'the requested keyframe');

    // The link is shared: a second stream to B reuses it.
    const mic = new FrameGeneratorSource({ kind: 'audio' });
    routerA.publish('mic', mic);
    rpcB.publish('mic', { type: 'internal', fromNode: 'node-a' });
    const listener = new RecordingSink();
    routerB.subscribe('listener', listener);
    rpcB.linkup('listener', 'mic');
    rpcA.subscribe('mic-to-b', {
      type: 'internal',
      toNode: 'node-b',
      address: { host: addressB.host, port: addressB.port },
    });
    rpcA.linkup('mic-to-b', 'mic');
    mic.next();
    await waitFor(() => listener.frames.length === 1, 5_000, 'audio at B');
    assert.equal(hubA.linksWith('node-b').length, 1);
    assert.equal(serverB.activeLinks.length, 1);

    // Cutoff at A ends the stream on the link; B's sink stops receiving.
    const ended = new Promise<string>((resolve) => serverB.activeLinks[0]!.once('streamend', resolve));
    rpcA.cutoff('to-b');
    assert.equal(await ended, 'cam');
    const count = viewer.frames.length;
    cam.next();
    mic.next();
    await waitFor(() => listener.frames.length === 2, 5_000, 'audio still flows');
    assert.equal(viewer.frames.length, count);
  });

  it('frames sent before the link opens are dropped and the first delivered frame is a keyframe', async (t) => {
    const { serverB, hubA, routerA, routerB, rpcA, rpcB } = await twoNodes(t);
    const cam = new FrameGeneratorSource({ keyframeInterval: 10_000 });
    routerA.publish('cam', cam);
    rpcB.publish('cam', { type: 'internal', fromNode: 'node-a' });
    const viewer = new RecordingSink();
    routerB.subscribe('viewer', viewer);
    routerB.linkup('viewer', 'cam');
    rpcA.subscribe('to-b', {
      type: 'internal',
      toNode: 'node-b',
      address: { host: serverB.host, port: serverB.port },
    });
    rpcA.linkup('to-b', 'cam');
    // The link is still connecting: these frames (a keyframe first) cannot go anywhere.
    for (let i = 0; i < 5; i++) cam.next();
    const link = hubA.linksWith('node-b')[0]!;
    assert.equal(link.isOpen, false);
    assert.equal(link.droppedFrames('cam'), 5);
    const requestsBefore = cam.keyframeRequests;
    await waitFor(() => link.isOpen, 5_000, 'link open');
    assert.ok(cam.keyframeRequests > requestsBefore, 'opening the link asked for a keyframe');
    for (let i = 0; i < 5; i++) cam.next();
    await waitFor(() => viewer.frames.length === 5, 5_000, 'frames at B');
    assert.deepEqual(viewer.sequences, [5, 6, 7, 8, 9]);
    assert.equal(viewer.frames[0]!.kind === 'video' && viewer.frames[0]!.keyframe, true);
    const stats = rpcA.getMediaStats();
    assert.equal(stats.links.length, 1);
    assert.equal(stats.links[0]!.framesSent, 5);
  });
});
