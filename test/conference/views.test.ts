/**
 * Room controller: mixed views and transcoded subscriptions against fake video and audio nodes
 * that record every call (the real nodes are tested in test/agents/{video,audio} and together in
 * Chromium by test/e2e/mcu-browser.test.ts). What is checked here is the orchestration: where
 * mixers are placed, which links carry what, who shares an output, what the room hears, and
 * how node loss and bad requests are handled.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NODE_LOST_TOPIC, type NodeLostEvent } from '../../agents/protocol.js';
import type { RegionAssignment } from '../../agents/video/layout/index.js';
import { NotFoundError } from '../../common/errors.js';
import type { LocalBus } from '../../common/rpc/local-bus.js';
import type { MixedStreamInfo } from '../../conference/mixed-stream-info.js';
import { parseRoomConfig } from '../../conference/room-config.js';
import { transcodeSpecFor } from '../../conference/room-transcoders.js';
import type { ForwardStreamInfo, TrackInfo } from '../../conference/stream-info.js';
import { waitUntil } from '../support/wait-until.js';
import { type Call, CONFERENCE_NODE_ID, ConferenceHarness, defaultMedia, FakeAgent } from './harness.js';

const region = (id: string) => ({
  id,
  shape: 'rectangle' as const,
  area: { left: '0', top: '0', width: '1/2', height: '1/2' },
});

/** A video or audio node: records calls; video mixers keep inputs in regions '1', '2'… in order. */
class FakeMixerNode {
  readonly calls: Call[] = [];
  private readonly inputs = new Map<string, string[]>();
  private readonly pinned = new Map<string, string>();

  constructor(
    readonly id: string,
    readonly kind: 'video' | 'audio',
  ) {}

  private layout(mixerId: string): { layout: RegionAssignment[] } {
    const inputs = this.inputs.get(mixerId) ?? [];
    return {
      layout: inputs.map((stream, i) => ({
        stream,
        region: region(this.pinned.get(stream) ?? String(i + 1)),
      })),
    };
  }

  async serve(bus: LocalBus): Promise<void> {
    const record =
      (method: string, answer: (...args: unknown[]) => unknown = () => ({ ok: true })) =>
      (...args: unknown[]) => {
        this.calls.push({ method, args });
        return answer(...args);
      };
    const inputsOf = (mixerId: unknown) => {
      const list = this.inputs.get(mixerId as string);
      if (!list) throw new NotFoundError(`mixer ${String(mixerId)} not found`);
      return list;
    };
    await bus.serve(this.id, {
      getLinkAddress: () => ({ nodeId: this.id, host: '127.0.0.1', port: 41000 }),
      publishInternal: record('publishInternal'),
      unpublishInternal: record('unpublishInternal'),
      subscribeInternal: record('subscribeInternal'),
      unsubscribeInternal: record('unsubscribeInternal'),
      linkup: record('linkup'),
      cutoff: record('cutoff'),
      initMixer: record('initMixer', (mixerId) => {
        this.inputs.set(mixerId as string, []);
        return { ok: true };
      }),
      destroyMixer: record('destroyMixer', (mixerId) => {
        this.inputs.delete(mixerId as string);
        return { ok: true };
      }),
      addInput: record('addInput', (mixerId, streamId) => {
        inputsOf(mixerId).push(streamId as string);
        return this.layout(mixerId as string);
      }),
      removeInput: record('removeInput', (mixerId, streamId) => {
        const list = inputsOf(mixerId);
        list.splice(list.indexOf(streamId as string), 1);
        return this.layout(mixerId as string);
      }),
      setRegion: record('setRegion', (mixerId, streamId, regionId) => {
        this.pinned.set(streamId as string, regionId as string);
        return this.layout(mixerId as string);
      }),
      getRegion: record('getRegion', (mixerId, streamId) => ({
        region: this.layout(mixerId as string).layout.find((a) => a.stream === streamId)?.region.id,
      })),
      setLayout: record('setLayout', (mixerId, assignments) => {
        for (const a of assignments as { stream: string; region: string }[])
          this.pinned.set(a.stream, a.region);
        return this.layout(mixerId as string);
      }),
      setActiveInput: record('setActiveInput', (mixerId, streamId) => {
        const list = inputsOf(mixerId);
        list.splice(list.indexOf(streamId as string), 1);
        list.unshift(streamId as string);
        return this.layout(mixerId as string);
      }),
      generate: record('generate', (mixerId, spec) => {
        const s = spec as { codec: string; exclude?: string; resolution?: { width: number } };
        return {
          streamId: `${String(mixerId)}/${this.kind}/${s.codec}-${s.resolution?.width ?? ''}-${s.exclude ?? ''}`,
        };
      }),
      degenerate: record('degenerate'),
      transcode: record('transcode', (transcoderId) => ({ streamId: transcoderId })),
      stopTranscode: record('stopTranscode'),
    });
  }

  called(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }
}

let h: ConferenceHarness;
let video: FakeMixerNode;
let audio: FakeMixerNode;
const agents: FakeAgent[] = [];

beforeEach(async () => {
  h = new ConferenceHarness();
  await h.start();
  h.rooms.set('r1', {
    name: 'room one',
    views: [
      { label: 'common', video: { keepActiveInputPrimary: true } },
      { label: 'music', video: false },
    ],
  });
  video = new FakeMixerNode('video-1.node-1', 'video');
  audio = new FakeMixerNode('audio-1.node-1', 'audio');
  for (const [node, purpose] of [
    [video, 'video'],
    [audio, 'audio'],
  ] as const) {
    await node.serve(h.bus);
    const codecs = { encode: ['vp8', 'h264'], decode: ['vp8', 'h264'] };
    const agent = new FakeAgent(
      h.bus,
      `${purpose}-1`,
      purpose,
      [],
      node.id,
      purpose === 'video' ? codecs : undefined,
    );
    await agent.start();
    agents.push(agent);
  }
});

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop().catch(() => undefined);
  await h.stop();
});

const rejects = (p: Promise<unknown>, name: string, message?: RegExp) =>
  assert.rejects(p, (err: Error) => {
    assert.equal(err.name, name, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

const layoutUpdate = (
  participant: string,
  streamId: string,
  match: (layout: RegionAssignment[]) => boolean,
) =>
  h.portal.waitFor(
    participant,
    'stream',
    (d) =>
      d.id === streamId &&
      d.status === 'update' &&
      (d.data as { field: string }).field === 'video.layout' &&
      match((d.data as { value: RegionAssignment[] }).value),
    `layout update of ${streamId}`,
  );

describe('conference: mixed views', () => {
  it('mix places the mixers, links the stream to both, adds it, and the room hears the layout; get/set-region; unmix', async () => {
    await h.join('r1', 'p1');
    await h.join('r1', 'p2');
    await h.publishLive('r1', 'p1', 'pub1');
    await rejects(
      h.conf('streamControl', 'r1', 'p2', 'pub1', { operation: 'mix', data: 'common' }),
      'PermissionDeniedError',
    );
    await rejects(
      h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: 'nope' }),
      'NotFoundError',
      /view nope/,
    );
    assert.equal(video.calls.length + audio.calls.length, 0, 'refused requests place nothing');

    assert.equal(
      await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: 'common' }),
      'ok',
    );
    // Mixers placed as tasks <mixed stream id>:<kind>, initialised with the view's settings.
    assert.deepEqual(agents[0]!.called('getNode')[0]?.args, [{ task: 'r1-common:video', room: 'r1' }]);
    assert.deepEqual(agents[1]!.called('getNode')[0]?.args, [{ task: 'r1-common:audio', room: 'r1' }]);
    const [mixerId, spec] = video.called('initMixer')[0]!.args as [string, Record<string, unknown>];
    assert.equal(mixerId, 'r1-common');
    assert.deepEqual(spec.resolution, { width: 640, height: 480 });
    assert.equal((spec.layout as { keepActiveInputPrimary: boolean }).keepActiveInputPrimary, true);
    assert.deepEqual(audio.called('initMixer')[0]!.args, [
      'r1-common',
      { room: 'r1', controller: CONFERENCE_NODE_ID, vad: true },
    ]);
    // The stream reaches both mixer nodes over internal links from its webrtc node.
    for (const node of [video, audio]) {
      assert.deepEqual(node.called('publishInternal')[0]?.args, [
        'pub1',
        { type: 'internal', fromNode: h.webrtc('a').id },
      ]);
    }
    const linkSubs = h
      .webrtc('a')
      .called('subscribeInternal')
      .map((c) => c.args[1] as { toNode: string; kinds: string[] })
      .map((spec) => `${spec.toNode}:${spec.kinds.join('+')}`);
    // Each mixer node gets only the kind it mixes.
    assert.deepEqual(linkSubs.sort(), [`${audio.id}:audio`, `${video.id}:video`]);
    assert.deepEqual(video.called('addInput')[0]?.args, ['r1-common', 'pub1']);
    assert.deepEqual(audio.called('addInput')[0]?.args, ['r1-common', 'pub1', 'p1']);
    await layoutUpdate('p2', 'r1-common', (l) => l.length === 1 && l[0]?.stream === 'pub1');
    assert.deepEqual((await h.conf<ForwardStreamInfo>('getStream', 'r1', 'pub1')).info.inViews, ['common']);
    const mixed = await h.conf<MixedStreamInfo>('getStream', 'r1', 'r1-common');
    assert.deepEqual(
      mixed.info.layout.map((a) => a.stream),
      ['pub1'],
    );
    // Mixing again changes nothing; the audio-only view takes only the audio.
    await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: ['common', 'music'] });
    assert.equal(video.called('addInput').length, 1);
    assert.equal(audio.called('addInput').length, 2);
    assert.deepEqual(video.called('initMixer').length, 1, 'no video mixer for an audio-only view');

    assert.deepEqual(
      await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'get-region', data: 'common' }),
      {
        region: '1',
      },
    );
    await h.conf('streamControl', 'r1', 'p1', 'pub1', {
      operation: 'set-region',
      data: { view: 'common', region: region('3') },
    });
    assert.deepEqual(video.called('setRegion')[0]?.args, ['r1-common', 'pub1', '3']);
    await layoutUpdate('p2', 'r1-common', (l) => l[0]?.region.id === '3');
    await rejects(
      h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'set-region', data: { view: 'common' } }),
      'ValidationError',
    );

    // REST: unmix from one view, the stream leaves that mixer only.
    const updated = await h.conf<ForwardStreamInfo>('updateStream', 'r1', 'pub1', [
      { op: 'remove', path: '/info/inViews', value: 'common' },
    ]);
    assert.deepEqual(updated.info.inViews, ['music']);
    assert.deepEqual(video.called('removeInput')[0]?.args, ['r1-common', 'pub1']);
    assert.equal(audio.called('removeInput').length, 1);
    await layoutUpdate('p2', 'r1-common', (l) => l.length === 0);
    await rejects(
      h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'get-region', data: 'common' }),
      'NotFoundError',
    );
  });

  it('subscribers of a mixed stream share outputs per setting; a participant in the mix hears it without their voice; outputs stop with their last reader', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'presenter', 'b');
    await h.join('r1', 'p3', 'presenter', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: 'common' });

    // p1 is in the mix: its own output leaves it out.
    await h.subscribeReady('r1', 'p1', 'sub1', 'r1-common');
    assert.deepEqual(audio.called('generate')[0]?.args, [
      'r1-common',
      { codec: 'opus', sampleRate: 48000, channels: 2, exclude: 'p1' },
    ]);
    const videoSpec = video.called('generate')[0]?.args[1] as Record<string, unknown>;
    assert.deepEqual(
      [videoSpec.codec, videoSpec.resolution, videoSpec.framerate, videoSpec.keyFrameInterval],
      ['h264', { width: 640, height: 480 }, 24, 100],
    );
    assert.ok((videoSpec.bitrate as number) > 100);

    // p2 is not: the full mix, shared with everyone else who is not.
    await h.subscribeReady('r1', 'p2', 'sub2', 'r1-common');
    assert.deepEqual(audio.called('generate')[1]?.args[1], { codec: 'opus', sampleRate: 48000, channels: 2 });
    const webrtcB = h.webrtc('b');
    const merges = () =>
      webrtcB
        .called('publishInternal')
        .map((c) => c.args)
        .filter((a) => (a[1] as { type: string }).type === 'merge');
    assert.deepEqual(merges()[0], [
      'merge:sub2',
      { type: 'merge', audio: 'r1-common/audio/opus--', video: 'r1-common/video/h264-640-' },
    ]);
    const subscribed = webrtcB.called('subscribe')[0]!.args[2] as {
      type: string;
      from: string;
      codec: string;
    }[];
    assert.deepEqual(
      subscribed.map((t) => [t.type, t.from, t.codec]),
      [
        ['audio', 'merge:sub2', 'opus'],
        ['video', 'merge:sub2', 'h264'],
      ],
    );
    await h.subscribeReady('r1', 'p3', 'sub3', 'r1-common');
    assert.equal(
      new Set(audio.called('generate').map((c) => JSON.stringify(c.args[1]))).size,
      2,
      'p3 shares the full mix',
    );

    // p2's stream joins the mix: p2's subscription moves to a mix without p2.
    await h.publishLive('r1', 'p2', 'pub2');
    await h.conf('streamControl', 'r1', 'p2', 'pub2', { operation: 'mix', data: 'common' });
    assert.deepEqual(audio.called('generate').at(-1)?.args[1], {
      codec: 'opus',
      sampleRate: 48000,
      channels: 2,
      exclude: 'p2',
    });
    assert.deepEqual(merges().at(-1)?.[1], {
      type: 'merge',
      audio: 'r1-common/audio/opus--p2',
      video: 'r1-common/video/h264-640-',
    });
    assert.deepEqual(webrtcB.called('linkup').at(-1)?.args, ['sub2', merges().at(-1)?.[0]]);
    assert.equal(audio.called('degenerate').length, 0, 'p3 still reads the full mix');

    // A smaller picture is another video output.
    await h.subscribeReady('r1', 'p3', 'sub4', 'r1-common', {
      parameters: { resolution: { width: 320, height: 240 } },
    });
    assert.deepEqual((video.called('generate').at(-1)!.args[1] as { resolution: unknown }).resolution, {
      width: 320,
      height: 240,
    });

    await h.conf('unsubscribe', 'r1', 'p2', 'sub2');
    assert.deepEqual(
      audio.called('degenerate').map((c) => c.args[1]),
      ['r1-common/audio/opus--p2'],
    );
    assert.ok(
      webrtcB.called('unpublishInternal').some((c) => c.args[0] === 'merge:sub2'),
      'the first merge went with the switch',
    );
    await h.conf('unsubscribe', 'r1', 'p1', 'sub1');
    assert.deepEqual(
      video.called('degenerate').map((c) => c.args[1]),
      [],
      'the 640 video output is still read by p3',
    );
    await h.conf('unsubscribe', 'r1', 'p3', 'sub3');
    assert.deepEqual(
      video.called('degenerate').map((c) => c.args[1]),
      ['r1-common/video/h264-640-'],
    );
  });

  it('a mixed subscription updated to another size reads that output; the old one stops with its last reader', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'presenter', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: 'common' });
    await h.subscribeReady('r1', 'p2', 'sub2', 'r1-common');
    const node = h.webrtc('b');
    await h.conf('subscriptionControl', 'r1', 'p2', 'sub2', {
      operation: 'update',
      data: { video: { parameters: { resolution: { width: 320, height: 240 } } } },
    });
    assert.deepEqual((video.called('generate').at(-1)!.args[1] as { resolution: unknown }).resolution, {
      width: 320,
      height: 240,
    });
    const merges = node
      .called('publishInternal')
      .filter((c) => (c.args[1] as { type: string }).type === 'merge');
    assert.equal(merges.length, 2);
    assert.deepEqual(merges[1]!.args[1], {
      type: 'merge',
      audio: 'r1-common/audio/opus--',
      video: 'r1-common/video/h264-320-',
    });
    assert.deepEqual(node.called('linkup').at(-1)?.args, ['sub2', merges[1]!.args[0]]);
    assert.deepEqual(
      video.called('degenerate').map((c) => c.args[1]),
      ['r1-common/video/h264-640-'],
    );
    assert.equal(audio.called('degenerate').length, 0, 'the audio output is still read');
    assert.ok(node.called('unpublishInternal').some((c) => c.args[0] === 'merge:sub2'));
  });

  it('the active speaker is announced and made primary; REST layout patches; mixed streams refuse forward-only patches', async () => {
    await h.join('r1', 'p1');
    await h.join('r1', 'p2');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.publishLive('r1', 'p2', 'pub2');
    for (const [p, s] of [
      ['p1', 'pub1'],
      ['p2', 'pub2'],
    ])
      await h.conf('streamControl', 'r1', p, s, { operation: 'mix', data: 'common' });

    h.bus.cast(CONFERENCE_NODE_ID, 'onActiveAudio', ['r1', 'r1-common', 'pub2']);
    await h.portal.waitFor(
      'p1',
      'stream',
      (d) =>
        d.id === 'r1-common' &&
        (d.data as { field: string; value: unknown }).field === 'activeInput' &&
        (d.data as { value: unknown }).value === 'pub2',
      'activeInput update',
    );
    await waitUntil(
      () => video.called('setActiveInput').length === 1,
      2000,
      'setActiveInput on the video node',
    );
    await layoutUpdate('p1', 'r1-common', (l) => l[0]?.stream === 'pub2');
    assert.equal((await h.conf<MixedStreamInfo>('getStream', 'r1', 'r1-common')).info.activeInput, 'pub2');
    // An unknown stream or mixer is ignored.
    h.bus.cast(CONFERENCE_NODE_ID, 'onActiveAudio', ['r1', 'r1-common', 'nobody']);
    h.bus.cast(CONFERENCE_NODE_ID, 'onActiveAudio', ['r1', 'r1-other', 'pub1']);

    const byRest = await h.conf<MixedStreamInfo>('updateStream', 'r1', 'r1-common', [
      { op: 'replace', path: '/info/layout', value: [{ stream: 'pub1', region: region('4') }] },
    ]);
    assert.deepEqual(video.called('setLayout')[0]?.args, ['r1-common', [{ stream: 'pub1', region: '4' }]]);
    assert.equal(byRest.info.layout.find((a) => a.stream === 'pub1')?.region.id, '4');
    const index = byRest.info.layout.findIndex((a) => a.stream === 'pub2');
    await h.conf('updateStream', 'r1', 'r1-common', [
      { op: 'replace', path: `/info/layout/${index}/stream`, value: 'pub1' },
    ]);
    assert.deepEqual(video.called('setRegion').at(-1)?.args, [
      'r1-common',
      'pub1',
      byRest.info.layout[index]!.region.id,
    ]);
    await rejects(
      h.conf('updateStream', 'r1', 'r1-common', [{ op: 'replace', path: '/info/layout', value: 'x' }]),
      'ValidationError',
    );
    await rejects(
      h.conf('updateStream', 'r1', 'r1-common', [
        { op: 'replace', path: '/info/layout', value: [{ stream: 'ghost', region: region('1') }] },
      ]),
      'NotFoundError',
    );
    await rejects(
      h.conf('updateStream', 'r1', 'r1-common', [{ op: 'add', path: '/info/inViews', value: 'common' }]),
      'ValidationError',
    );
    // Unpublishing takes the stream out of its views.
    await h.conf('unpublish', 'r1', 'p2', 'pub2');
    await waitUntil(() => video.called('removeInput').length === 1, 2000, 'removeInput after unpublish');
  });

  it('a lost video node: readers of its outputs fail, the inputs are mixed again; the room ends → mixers destroyed, nodes recycled', async () => {
    await h.join('r1', 'p1', 'presenter', 'a');
    await h.join('r1', 'p2', 'presenter', 'b');
    await h.publishLive('r1', 'p1', 'pub1');
    await h.conf('streamControl', 'r1', 'p1', 'pub1', { operation: 'mix', data: 'common' });
    await h.subscribeReady('r1', 'p2', 'sub2', 'r1-common');

    const lost: NodeLostEvent = {
      agentId: 'video-1',
      purpose: 'video',
      nodeId: video.id,
      tasks: ['r1-common:video'],
      exitCode: null,
      signal: 'SIGKILL',
    };
    // The agent starts a new node for the next task, as a real agent does after a crash.
    const replacement = new FakeMixerNode('video-1.node-2', 'video');
    await replacement.serve(h.bus);
    agents[0]!.nodeId = replacement.id;
    h.bus.publish(NODE_LOST_TOPIC, lost);
    await h.portal.waitFor(
      'p2',
      'progress',
      (d) => d.sessionId === 'sub2' && d.status === 'error',
      'the mixed stream subscriber hears its source node is lost',
    );
    await waitUntil(() => replacement.called('addInput').length === 1, 3000, 'the input is mixed again');
    assert.equal(replacement.called('initMixer').length, 1);
    assert.deepEqual(replacement.called('publishInternal')[0]?.args, [
      'pub1',
      { type: 'internal', fromNode: h.webrtc('a').id },
    ]);
    const callsOnLost = video.calls.length;

    await h.conf('leave', 'r1', 'p2');
    await h.conf('leave', 'r1', 'p1');
    await waitUntil(
      () => replacement.called('destroyMixer').length === 1 && audio.called('destroyMixer').length === 1,
      3000,
      'mixers destroyed when the room ends',
    );
    assert.equal(video.calls.length, callsOnLost, 'nothing more is sent to the lost node');
    await waitUntil(
      () => agents.every((a) => a.called('recycleNode').length > 0),
      3000,
      'mixer nodes recycled',
    );
  });
});

describe('conference: video codecs of the workers', () => {
  it('a view whose codec no video worker encodes cannot be mixed; nothing is left placed', async () => {
    h.rooms.set('vp9', {
      name: 'vp9 view',
      views: [{ label: 'common', video: { format: { codec: 'vp9' } } }],
    });
    await h.join('vp9', 'p1');
    await h.publishLive('vp9', 'p1', 'pub1');
    await rejects(
      h.conf('streamControl', 'vp9', 'p1', 'pub1', { operation: 'mix', data: 'common' }),
      'MediaSetupError',
      /no video worker/,
    );
    assert.equal(video.called('initMixer').length, 0);
    assert.deepEqual((await h.conf<ForwardStreamInfo>('getStream', 'vp9', 'pub1')).info.inViews, []);
  });
});

describe('conference: transcoded subscriptions', () => {
  it('a forward video asked smaller goes through a transcoder (merged with the forward audio); stopped with its last reader', async () => {
    h.rooms.set('t1', { name: 'transcoding', views: [] });
    await h.join('t1', 'p1', 'presenter', 'a');
    await h.join('t1', 'p2', 'presenter', 'b');
    await h.publishLive('t1', 'p1', 'pub1');
    // The same size is forwarded.
    await h.subscribeReady('t1', 'p2', 'same', 'pub1', {
      parameters: { resolution: { width: 640, height: 480 } },
    });
    assert.equal(video.called('transcode').length, 0);
    await h.subscribeReady('t1', 'p2', 'small', 'pub1', {
      parameters: { resolution: { width: 320, height: 240 } },
    });
    const [transcoderId, input, spec] = video.called('transcode')[0]!.args as [
      string,
      string,
      Record<string, unknown>,
    ];
    assert.match(transcoderId, /^tx-/);
    assert.equal(input, 'pub1');
    assert.deepEqual(spec.resolution, { width: 320, height: 240 });
    assert.equal(spec.codec, 'vp8', 'the source codec');
    assert.deepEqual(video.called('publishInternal')[0]?.args, [
      'pub1',
      { type: 'internal', fromNode: h.webrtc('a').id },
    ]);
    const merge = h
      .webrtc('b')
      .called('publishInternal')
      .find((c) => (c.args[1] as { type: string }).type === 'merge');
    assert.deepEqual(merge?.args, ['merge:small', { type: 'merge', audio: 'pub1', video: transcoderId }]);
    await h.conf('unsubscribe', 't1', 'p2', 'small');
    assert.deepEqual(video.called('stopTranscode')[0]?.args, [transcoderId]);
    assert.ok(agents[0]!.called('recycleNode').some((c) => c.args[1] === transcoderId));
  });
});

describe('conference: when a forward video needs a transcoder', () => {
  const config = parseRoomConfig({ name: 'x' });
  const noResize = parseRoomConfig({
    name: 'y',
    transcoding: { video: { parameters: { resolution: false } } },
  });
  const track = (parameters: TrackInfo['parameters'], rid?: string, codec = 'vp8'): TrackInfo => ({
    id: 't',
    type: 'video',
    format: { codec },
    status: 'active',
    mid: '1',
    ...(rid !== undefined ? { rid } : {}),
    ...(parameters ? { parameters } : {}),
  });
  const vga = { resolution: { width: 640, height: 480 }, framerate: 30, bitrate: 1000 };

  it('forwards what fits and transcodes what does not, as far as the room allows', () => {
    assert.equal(transcodeSpecFor(track(vga), undefined, config), undefined);
    assert.equal(
      transcodeSpecFor(track(vga), { resolution: { width: 640, height: 480 } }, config),
      undefined,
    );
    assert.equal(transcodeSpecFor(track(vga), { framerate: 30 }, config), undefined);
    assert.equal(transcodeSpecFor(track(vga), { bitrate: 'x1.2' }, config), undefined);
    assert.deepEqual(transcodeSpecFor(track(vga), { resolution: { width: 320, height: 240 } }, config), {
      codec: 'vp8',
      resolution: { width: 320, height: 240 },
      framerate: 30,
      bitrate: 250,
      keyFrameInterval: 100,
    });
    assert.equal(
      transcodeSpecFor(track(vga), { resolution: { width: 320, height: 240 } }, noResize),
      undefined,
      'the room forbids resizing',
    );
    assert.equal(transcodeSpecFor(track(vga), { framerate: 15 }, config)?.framerate, 15);
    assert.equal(transcodeSpecFor(track(vga), { bitrate: 'x0.5' }, config)?.bitrate, 500);
    assert.equal(
      transcodeSpecFor(track(vga, 'f'), { bitrate: 'x0.5' }, config),
      undefined,
      'a simulcast layer gets thinner by a lower layer (the node picks), not a transcoder',
    );
    // Sizes not known yet: a simulcast layer is forwarded, a single stream transcoded.
    assert.equal(
      transcodeSpecFor(track(undefined, 'q'), { resolution: { width: 320, height: 240 } }, config),
      undefined,
    );
    assert.deepEqual(
      transcodeSpecFor(track(undefined), { resolution: { width: 321, height: 241 } }, config)?.resolution,
      { width: 322, height: 242 },
      'even sizes',
    );
    assert.equal(
      transcodeSpecFor(track(vga, undefined, 'av1'), { resolution: { width: 320, height: 240 } }, config)
        ?.codec,
      'vp8',
      'a codec that cannot be encoded here becomes VP8',
    );
  });

  it('subscription updates move a subscription between forward, transcoded and other streams without renegotiation', async () => {
    h.rooms.set('t2', { name: 'transcoding', views: [] });
    await h.join('t2', 'p1', 'presenter', 'a');
    await h.join('t2', 'p2', 'presenter', 'b');
    await h.publishLive('t2', 'p1', 'pub1');
    await h.publishLive('t2', 'p1', 'pub2');
    await h.subscribeReady('t2', 'p2', 'sub', 'pub1');
    const node = h.webrtc('b');
    const update = (data: unknown) =>
      h.conf('subscriptionControl', 't2', 'p2', 'sub', { operation: 'update', data });

    // Smaller: a transcoder; audio stays the publication's, so a merge joins them.
    await update({ video: { parameters: { resolution: { width: 320, height: 240 } } } });
    const [transcoderId] = video.called('transcode')[0]!.args as [string];
    const merge = node
      .called('publishInternal')
      .find((c) => (c.args[1] as { type: string }).type === 'merge');
    assert.deepEqual(merge?.args[1], { type: 'merge', audio: 'pub1', video: transcoderId });
    assert.deepEqual(node.called('linkup').at(-1)?.args, ['sub', merge?.args[0]]);
    assert.equal(node.called('setLayer').length, 0, 'no layer request: the conference relinks');

    // Back to the source's size: forward again, transcoder and merge gone.
    await update({ video: { parameters: { resolution: { width: 640, height: 480 } } } });
    assert.deepEqual(node.called('linkup').at(-1)?.args, ['sub', 'pub1']);
    assert.deepEqual(video.called('stopTranscode')[0]?.args, [transcoderId]);
    assert.ok(node.called('unpublishInternal').some((c) => c.args[0] === merge?.args[0]));

    // Video from another publication of the same codec: a merge of pub1's audio and pub2's video.
    await update({ video: { from: 'pub2' } });
    const merge2 = node
      .called('publishInternal')
      .filter((c) => (c.args[1] as { type: string }).type === 'merge')
      .at(-1);
    assert.deepEqual(merge2?.args[1], { type: 'merge', audio: 'pub1', video: 'pub2' });
    assert.deepEqual(node.called('linkup').at(-1)?.args, ['sub', merge2?.args[0]]);
    // Unpublishing pub2 ends the subscription: it reads pub2 now.
    await h.conf('unpublish', 't2', 'p1', 'pub2');
    await h.portal.waitFor(
      'p2',
      'progress',
      (d) => d.sessionId === 'sub' && d.status === 'error',
      'the subscription reading pub2 fails with it',
    );
  });

  it('a subscription update that would change the codec is refused and changes nothing', async () => {
    h.rooms.set('t3', { name: 'codecs', views: [] });
    await h.join('t3', 'p1', 'presenter', 'a');
    await h.join('t3', 'p2', 'presenter', 'b');
    await h.publishLive('t3', 'p1', 'vp8');
    const h264 = defaultMedia();
    (h264.tracks[1]!.format as { codec: string }).codec = 'h264';
    await h.publishLive('t3', 'p1', 'h264', h264);
    await h.subscribeReady('t3', 'p2', 'sub', 'vp8');
    const linkups = h.webrtc('b').called('linkup').length;
    const published = h.webrtc('b').called('publishInternal').length;
    await rejects(
      h.conf('subscriptionControl', 't3', 'p2', 'sub', {
        operation: 'update',
        data: { video: { from: 'h264' } },
      }),
      'NotImplementedError',
      /vp8 to h264/,
    );
    assert.equal(h.webrtc('b').called('linkup').length, linkups);
    assert.equal(h.webrtc('b').called('publishInternal').length, published, 'nothing was linked for it');
  });
});
