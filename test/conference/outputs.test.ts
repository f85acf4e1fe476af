/** Room controller: streaming-ins, streaming-outs and recordings on (fake) streaming/recording nodes. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NODE_LOST_TOPIC, type NodeLostEvent } from '../../agents/protocol.js';
import { CLUSTER_MANAGER_ID } from '../../cluster-manager/protocol.js';
import type { ForwardStreamInfo } from '../../conference/stream-info.js';
import { waitUntil } from '../support/wait-until.js';
import { CONFERENCE_NODE_ID, ConferenceHarness, FakeAgent, FakeWebrtcNode } from './harness.js';

let h: ConferenceHarness;
let streaming: FakeWebrtcNode;
let recording: FakeWebrtcNode;
let streamingAgent: FakeAgent;
let recordingAgent: FakeAgent;

const STREAMING_NODE = 'streaming-1.node-1';
const RECORDING_NODE = 'recording-1.node-1';
const RTMP = 'rtmp://127.0.0.1:1935/live/out';

beforeEach(async () => {
  h = new ConferenceHarness();
  await h.start();
  h.rooms.set('r1', { name: 'room one', views: [] });
  h.rooms.set('r2', { name: 'room two', views: [] });
  streaming = new FakeWebrtcNode(STREAMING_NODE, 41000);
  recording = new FakeWebrtcNode(RECORDING_NODE, 41001);
  await streaming.serve(h.bus);
  await recording.serve(h.bus);
  streamingAgent = new FakeAgent(h.bus, 'streaming-1', 'streaming', [], STREAMING_NODE);
  recordingAgent = new FakeAgent(h.bus, 'recording-1', 'recording', [], RECORDING_NODE);
  await streamingAgent.start();
  await recordingAgent.start();
});

afterEach(async () => {
  await streamingAgent.stop().catch(() => undefined);
  await recordingAgent.stop().catch(() => undefined);
  await h.stop();
});

const media = (from: string) => ({ audio: { from }, video: { from } });

interface OutputView {
  id: string;
  status: string;
  media: { audio: { from: string }; video: { from: string } };
  storage?: { file: string };
  container?: string;
}

describe('conference: streaming-outs and recordings', () => {
  it('a streaming-out gets a streaming node, a link from the publisher and its sink; ready → active; delete frees it', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.publishLive('r1', 'p1', 'pub1');
    const out = await h.conf<OutputView & { protocol: string; url: string }>('addStreamingOut', 'r1', {
      protocol: 'rtmp',
      url: RTMP,
      parameters: { hlsTime: 4, junk: 'x' },
      media: media('pub1'),
    });
    assert.equal(out.protocol, 'rtmp');
    assert.equal(out.url, RTMP);
    assert.equal(out.status, 'starting');
    assert.deepEqual(streamingAgent.called('getNode')[0]?.args, [{ task: out.id, room: 'r1' }]);
    assert.equal(await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['streaming', out.id]), 'streaming-1');
    // Sink first, then the stream arrives over an internal link, then linkup.
    assert.deepEqual(streaming.methods(), ['subscribeInternal', 'publishInternal', 'linkup']);
    assert.deepEqual(streaming.called('subscribeInternal')[0]?.args, [
      out.id,
      {
        type: 'streaming-out',
        protocol: 'rtmp',
        url: RTMP,
        parameters: { hlsTime: 4 },
        media: { audio: true, video: true },
        controller: CONFERENCE_NODE_ID,
        room: 'r1',
      },
    ]);
    assert.deepEqual(streaming.called('publishInternal')[0]?.args, [
      'pub1',
      { type: 'internal', fromNode: 'webrtc-a.node-1' },
    ]);
    assert.deepEqual(streaming.called('linkup')[0]?.args, [out.id, 'pub1']);
    const webrtcA = h.webrtc('a');
    assert.deepEqual(webrtcA.called('linkup').at(-1)?.args, [`link:pub1:${STREAMING_NODE}`, 'pub1']);

    h.sessionProgress('r1', out.id, { type: 'ready' });
    await waitUntil(
      async () => (await h.conf<OutputView[]>('getStreamingOuts', 'r1'))[0]?.status === 'active',
      2000,
      'streaming-out active',
    );
    assert.deepEqual(await h.conf('getRecordings', 'r1'), []);

    await h.conf('deleteStreamingOut', 'r1', out.id);
    assert.deepEqual(streaming.called('unsubscribeInternal')[0]?.args, [out.id]);
    assert.deepEqual(streaming.called('unpublishInternal')[0]?.args, ['pub1']);
    assert.deepEqual(streamingAgent.called('recycleNode')[0]?.args, [STREAMING_NODE, out.id]);
    assert.equal(await h.bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['streaming', out.id]), null);
    assert.deepEqual(await h.conf('getStreamingOuts', 'r1'), []);
    await assert.rejects(h.conf('deleteStreamingOut', 'r1', out.id), { name: 'NotFoundError' });
    // A recording id is not a streaming-out.
    await assert.rejects(h.conf('updateRecording', 'r1', out.id, []), { name: 'NotFoundError' });
  });

  it('PATCH /media/video/from switches the sink to another stream without a new sink; the old link goes', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'presenter', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.publishLive('r1', 'p2', 'pub2');
    const out = await h.conf<OutputView>('addStreamingOut', 'r1', {
      protocol: 'rtmp',
      url: RTMP,
      media: media('pub1'),
    });
    const patched = await h.conf<OutputView>('updateStreamingOut', 'r1', out.id, [
      { op: 'replace', path: '/media/video/from', value: 'pub2' },
      { op: 'replace', path: '/media/audio/from', value: 'pub2' },
    ]);
    assert.deepEqual(patched.media, media('pub2'));
    assert.equal(streaming.called('subscribeInternal').length, 1, 'the sink stays');
    assert.deepEqual(streaming.called('linkup').at(-1)?.args, [out.id, 'pub2']);
    assert.deepEqual(streaming.called('publishInternal').at(-1)?.args, [
      'pub2',
      { type: 'internal', fromNode: 'webrtc-b.node-1' },
    ]);
    // pub1's link is no longer used: torn down on both ends.
    await waitUntil(() => streaming.called('unpublishInternal').length === 1, 2000, 'old link unpublished');
    assert.deepEqual(streaming.called('unpublishInternal')[0]?.args, ['pub1']);
    assert.deepEqual(h.webrtc('a').called('unsubscribeInternal').at(-1)?.args, [
      `link:pub1:${STREAMING_NODE}`,
    ]);

    await assert.rejects(
      h.conf('updateStreamingOut', 'r1', out.id, [
        { op: 'replace', path: '/media/video/from', value: 'nope' },
      ]),
      { name: 'NotFoundError' },
    );
    await assert.rejects(
      h.conf('updateStreamingOut', 'r1', out.id, [
        { op: 'replace', path: '/media/video/parameters/resolution', value: { width: 1, height: 1 } },
      ]),
      { name: 'NotImplementedError' },
    );
    await assert.rejects(h.conf('updateStreamingOut', 'r1', out.id, [{ op: 'add', path: '/x' }]), {
      name: 'ValidationError',
    });
  });

  it('outputs of a stream that goes away end with it; an unknown source is refused before any node is asked', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.publishLive('r1', 'p1', 'pub1');
    await assert.rejects(
      h.conf('addStreamingOut', 'r1', { protocol: 'rtmp', url: RTMP, media: media('ghost') }),
      { name: 'NotFoundError' },
    );
    assert.equal(streamingAgent.called('getNode').length, 0);
    const out = await h.conf<OutputView>('addStreamingOut', 'r1', {
      protocol: 'rtmp',
      url: RTMP,
      media: media('pub1'),
    });
    const rec = await h.conf<OutputView>('addRecording', 'r1', { container: 'auto', media: media('pub1') });
    // VP8 + Opus: auto picks webm, the file is named after the recording.
    assert.equal(rec.container, 'webm');
    assert.equal(rec.storage?.file, `${rec.id}.webm`);
    assert.equal(
      (recording.called('subscribeInternal')[0]?.args[1] as { container?: string } | undefined)?.container,
      'webm',
    );
    await h.conf('unpublish', 'r1', 'p1', 'pub1');
    assert.deepEqual(await h.conf('getStreamingOuts', 'r1'), []);
    assert.deepEqual(await h.conf('getRecordings', 'r1'), []);
    assert.deepEqual(streaming.called('unsubscribeInternal')[0]?.args, [out.id]);
    assert.deepEqual(recording.called('unsubscribeInternal')[0]?.args, [rec.id]);
  });

  it('a recording node lost: its recording is removed without calls to it; a failed output is removed', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.publishLive('r1', 'p1', 'pub1');
    const rec = await h.conf<OutputView>('addRecording', 'r1', { container: 'mkv', media: media('pub1') });
    const out = await h.conf<OutputView>('addStreamingOut', 'r1', {
      protocol: 'rtmp',
      url: RTMP,
      media: media('pub1'),
    });
    const before = recording.calls.length;
    const lost: NodeLostEvent = {
      nodeId: RECORDING_NODE,
      agentId: 'recording-1',
      purpose: 'recording',
      tasks: [rec.id],
      exitCode: null,
      signal: 'SIGKILL',
    };
    h.bus.publish(NODE_LOST_TOPIC, lost);
    await waitUntil(
      async () => (await h.conf<unknown[]>('getRecordings', 'r1')).length === 0,
      2000,
      'recording gone',
    );
    assert.equal(recording.calls.length, before, 'nothing sent to the lost node');
    // The link towards the lost node is torn down on the publisher's side.
    await waitUntil(
      () =>
        h
          .webrtc('a')
          .called('unsubscribeInternal')
          .some((c) => c.args[0] === `link:pub1:${RECORDING_NODE}`),
      2000,
      'link to the lost node torn down',
    );

    h.sessionProgress('r1', out.id, { type: 'failed', reason: 'failed: connection refused' });
    await waitUntil(
      async () => (await h.conf<unknown[]>('getStreamingOuts', 'r1')).length === 0,
      2000,
      'output gone',
    );
  });
});

describe('conference: streaming-ins', () => {
  const body = {
    connection: { url: 'rtmp://127.0.0.1:1935/live/cam', transportProtocol: 'tcp', bufferSize: 8192 },
    media: { audio: 'auto', video: 'auto' },
    attributes: { label: 'cam' },
  };
  const connected = {
    video: { codec: 'h264', width: 320, height: 240 },
    audio: { codec: 'opus', sampleRate: 48000, channels: 2 },
  };

  /** addStreamingIn, answering the node's publish with `progress` as a streaming node would. */
  async function addStreamingIn(
    roomId: string,
    progress?: Parameters<ConferenceHarness['sessionProgress']>[2],
  ) {
    const before = streaming.called('publishInternal').length;
    const pending = h.conf<ForwardStreamInfo>('addStreamingIn', roomId, body);
    await waitUntil(
      () => streaming.called('publishInternal').length > before,
      2000,
      'streaming-in published',
    );
    const id = streaming.called('publishInternal').at(-1)?.args[0] as string;
    if (progress) h.sessionProgress(roomId, id, progress);
    return { id, answer: await pending };
  }

  it('starts a room that is not live, is announced as a streaming forward stream, and can be subscribed', async () => {
    const { id, answer } = await addStreamingIn('r2', { type: 'ready', media: connected });
    assert.equal(answer.id, id);
    assert.deepEqual(answer.info, {
      owner: 'admin',
      type: 'streaming',
      inViews: [],
      attributes: { label: 'cam' },
    });
    const video = answer.media.tracks.find((t) => t.type === 'video');
    assert.deepEqual(video?.format, { codec: 'h264' });
    assert.deepEqual(video?.parameters?.resolution, { width: 320, height: 240 });
    assert.deepEqual(answer.media.tracks.find((t) => t.type === 'audio')?.format, {
      codec: 'opus',
      sampleRate: 48000,
      channelNum: 2,
    });
    assert.deepEqual(streaming.called('publishInternal')[0]?.args, [
      id,
      {
        type: 'streaming-in',
        url: body.connection.url,
        transportProtocol: 'tcp',
        bufferSize: 8192,
        media: { audio: 'auto', video: 'auto' },
        controller: CONFERENCE_NODE_ID,
        room: 'r2',
      },
    ]);
    assert.deepEqual(h.node.roomIds(), ['r2']);

    const joined = await h.join('r2', 'p1', 'viewer', 'b');
    assert.deepEqual(
      joined.room.streams.map((s) => (s as ForwardStreamInfo).id),
      [id],
    );
    await h.subscribeReady('r2', 'p1', 'sub1', id);
    // The stream comes from the streaming node to the subscriber's webrtc node.
    assert.deepEqual(h.webrtc('b').called('publishInternal')[0]?.args, [
      id,
      { type: 'internal', fromNode: STREAMING_NODE },
    ]);
    assert.deepEqual(streaming.called('linkup').at(-1)?.args, [`link:${id}:webrtc-b.node-1`, id]);

    // The source lost (node reconnecting) → tracks inactive; back → active again.
    h.sessionProgress('r2', id, { type: 'media-status', status: 'inactive' });
    await h.portal.waitFor(
      'p1',
      'stream',
      (d) => d.id === id && JSON.stringify(d.data) === '{"field":"video.status","value":"inactive"}',
      'video inactive',
    );
    await h.portal.waitFor(
      'p1',
      'stream',
      (d) => d.id === id && JSON.stringify(d.data) === '{"field":"audio.status","value":"inactive"}',
      'audio inactive',
    );
    assert.ok(
      (await h.conf<ForwardStreamInfo>('getStream', 'r2', id)).media.tracks.every(
        (t) => t.status === 'inactive',
      ),
    );
    // A reconnect with other media → active again and a stream update.
    h.sessionProgress('r2', id, {
      type: 'media-update',
      media: { ...connected, video: { codec: 'h264', width: 640, height: 360 } },
    });
    const update = await h.portal.waitFor(
      'p1',
      'stream',
      (d) => d.id === id && d.status === 'update' && (d.data as { field?: string }).field === '.',
      'stream update',
    );
    const value = (update.data as { value: ForwardStreamInfo }).value;
    assert.ok(value.media.tracks.every((t) => t.status === 'active'));
    await h.portal.waitFor(
      'p1',
      'stream',
      (d) => d.id === id && JSON.stringify(d.data) === '{"field":"video.status","value":"active"}',
      'video active',
    );
    assert.deepEqual(value.media.tracks.find((t) => t.type === 'video')?.parameters?.resolution, {
      width: 640,
      height: 360,
    });

    await h.conf('deleteStream', 'r2', id);
    await h.portal.waitFor('p1', 'stream', (d) => d.id === id && d.status === 'remove', 'stream remove');
    await h.portal.waitFor(
      'p1',
      'progress',
      (d) => d.sessionId === 'sub1' && d.status === 'error',
      'subscription error',
    );
    assert.deepEqual(
      streaming
        .called('unpublishInternal')
        .map((c) => c.args[0])
        .includes(id),
      true,
    );
    assert.deepEqual(streamingAgent.called('recycleNode').at(-1)?.args, [STREAMING_NODE, id]);
    // The participant is still there: the room stays until they leave.
    assert.deepEqual(h.node.roomIds(), ['r2']);
    await h.conf('leave', 'r2', 'p1');
    await waitUntil(() => h.node.roomIds().length === 0, 2000, 'room released');
  });

  it('a room holding only a streaming-in stays live; removing it releases the room; a failed source is removed', async () => {
    const first = await addStreamingIn('r2', { type: 'ready', media: connected });
    // Not connected within the setup time: answered with what is known, announced later.
    const second = await addStreamingIn('r2');
    assert.deepEqual(second.answer.media.tracks, []);
    assert.equal(second.answer.info.type, 'streaming');
    assert.equal((await h.conf<unknown[]>('getStreams', 'r2')).length, 1);
    h.sessionProgress('r2', second.id, { type: 'failed', reason: 'no media' });
    await waitUntil(
      () => streaming.called('unpublishInternal').some((c) => c.args[0] === second.id),
      2000,
      'failed streaming-in unpublished',
    );
    assert.deepEqual(h.node.roomIds(), ['r2']);
    await h.conf('deleteStream', 'r2', first.id);
    await waitUntil(() => h.node.roomIds().length === 0, 2000, 'room released');
    assert.ok(h.conferenceAgent.called('recycleNode').some((c) => c.args[1] === 'r2'));
  });

  it('a streaming agent lost: its streams are removed and the room hears stream remove', async () => {
    const { id } = await addStreamingIn('r2', { type: 'ready', media: connected });
    await h.join('r2', 'p1', 'viewer', 'a');
    const before = streaming.calls.length;
    await streamingAgent.stop();
    await h.bus.call(CLUSTER_MANAGER_ID, 'leave', ['streaming-1']).catch(() => undefined);
    await h.portal.waitFor('p1', 'stream', (d) => d.id === id && d.status === 'remove', 'stream remove');
    assert.equal(streaming.calls.length, before, 'nothing sent to the lost node');
  });
});
