import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AudioNodeStats } from '../../../agents/audio/protocol.js';
import type { LinkHub } from '../../../common/links/link-hub.js';
import { mediaPrimitiveHandlers } from '../../../common/media/media-primitive-handlers.js';
import type { MediaRouter } from '../../../common/media/media-router.js';
import type { LocalBus } from '../../../common/rpc/local-bus.js';
import { type NodeAgents, startNodeAgents } from '../../support/node-agents.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  decodeAll,
  encodeOpus,
  FrameCollector,
  PacedSource,
  sineAmplitudeFor,
  slice,
  toneAmplitude,
  toneSignal,
} from './audio-signals.js';

/** The error's code as it crossed the bus. */
const withCode = (code: string) => (err: unknown) => {
  assert.equal((err as { code?: string }).code, code, String(err));
  return true;
};

/**
 * An audio node process started by a real Agent on the all-in-one bus: two participants'
 * Opus streams reach it over an internal TCP link from this process ("publisher-node"), the
 * minus-one output comes back over the link and is decoded here, and the active speaker is
 * announced to a fake conference served on the bus.
 */
describe('audio node process over internal links', () => {
  const secret = randomBytes(16).toString('hex');
  const speakerEvents: unknown[][] = [];
  let env: NodeAgents;
  let bus: LocalBus;
  let router: MediaRouter;
  let hub: LinkHub;

  before(async () => {
    // Nodes inherit the agent's environment: this is how they learn the cluster secret.
    process.env.MEDIASPREAD__cluster__secret = secret;
    env = await startNodeAgents(['audio'], { secret, linkNodeId: 'publisher-node' });
    ({ bus, router, hub } = env);
    await bus.serve('fake-conference', {
      onActiveAudio: (...args: never[]) => {
        speakerEvents.push(args);
      },
    });
  });

  after(async () => {
    await env?.close();
    delete process.env.MEDIASPREAD__cluster__secret;
  });

  it('mixes streams linked in, sends the minus-one mix back, names the active speaker', async () => {
    const node = env.nodeOf('audio');
    const call = <T = unknown>(method: string, ...args: unknown[]) => bus.call<T>(node, method, args);
    const info = await call<{ role: string }>('info');
    assert.equal(info.role, 'audio');
    const { host, port } = await call<{ host: string; port: number }>('getLinkAddress');
    const address = { host, port };

    // Streams from this process arrive over the link.
    for (const id of ['alice-mic', 'bob-mic']) {
      await call('publishInternal', id, { type: 'internal', fromNode: 'publisher-node' });
    }
    await call('initMixer', 'view-1', { room: 'room-1', controller: 'fake-conference', vad: true });
    await call('initMixer', 'view-1', { room: 'room-1', controller: 'fake-conference', vad: true });
    await call('addInput', 'view-1', 'alice-mic', 'alice');
    await call('addInput', 'view-1', 'bob-mic', 'bob');
    const { streamId } = await call<{ streamId: string }>('generate', 'view-1', {
      codec: 'opus',
      sampleRate: 48_000,
      channels: 2,
      exclude: 'alice',
    });
    assert.equal(streamId, 'view-1/a/opus-48000-2-minus-alice');
    const transcoded = await call<{ streamId: string }>('transcode', 'bob-pcmu', 'bob-mic', {
      codec: 'pcmu',
      sampleRate: 8000,
      channels: 1,
    });
    assert.equal(transcoded.streamId, 'bob-pcmu');

    // The output goes back to this process over the same link.
    const primitives = mediaPrimitiveHandlers(router, hub);
    primitives.publish(streamId, { type: 'internal', fromNode: node });
    const collector = new FrameCollector();
    router.subscribe('alice-hears', collector);
    router.linkup('alice-hears', streamId);
    await call('subscribeInternal', 'to-publisher', {
      type: 'internal',
      toNode: 'publisher-node',
      address: env.linkAddress,
    });
    await call('linkup', 'to-publisher', streamId);

    const players: Promise<void>[] = [];
    const voices = [
      ['alice-mic', 440, -10],
      ['bob-mic', 1000, -26],
    ] as const;
    const encoded = await Promise.all(
      voices.map(([, frequency, dbov]) =>
        encodeOpus(toneSignal([{ frequency, amplitude: sineAmplitudeFor(dbov), seconds: 3 }])),
      ),
    );
    for (const [n, [id]] of voices.entries()) {
      const source = new PacedSource();
      router.publish(id, source);
      primitives.subscribe(`send-${id}`, { type: 'internal', toNode: node, address });
      primitives.linkup(`send-${id}`, id);
      players.push(source.play(encoded[n]!));
      // Alice starts talking first (bob, above the speech threshold too, must not beat her to it).
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(players);
    await waitUntil(() => speakerEvents.length > 0, 3000, 'onActiveAudio at the controller');
    assert.deepEqual(speakerEvents, [['room-1', 'view-1', 'alice-mic']]);

    const stats = await call<AudioNodeStats>('getAudioStats');
    const mixer = stats.mixers.find((m) => m.mixerId === 'view-1')!;
    assert.deepEqual(mixer.outputs, [streamId]);
    assert.deepEqual(
      mixer.inputs.map((i) => i.owner),
      ['alice', 'bob'],
    );
    assert.ok(stats.transcoders[0]!.frames > 100, JSON.stringify(stats.transcoders));

    assert.ok(collector.frames.length > 100, `${collector.frames.length} frames came back`);
    const pcm = slice(await decodeAll(collector.frames, 'opus', 48_000, 2), 2, 48_000, 0.8, 2.4);
    const bob = toneAmplitude(pcm, 2, 48_000, 1000);
    const alice = toneAmplitude(pcm, 2, 48_000, 440);
    const bobSent = sineAmplitudeFor(-26);
    assert.ok(
      Math.abs(bob - bobSent) < bobSent * 0.25,
      `bob's tone ${bob.toFixed(0)} (sent ${bobSent.toFixed(0)})`,
    );
    assert.ok(alice < bobSent * 0.05, `alice does not hear herself: ${alice.toFixed(0)}`);

    await call('stopTranscode', 'bob-pcmu');
    await call('destroyMixer', 'view-1');
    await call('destroyMixer', 'view-1');
    const media = await call<{ streams: { streamId: string }[] }>('getMediaStats');
    assert.deepEqual(media.streams.map((s) => s.streamId).sort(), ['alice-mic', 'bob-mic']);
    assert.deepEqual((await call<AudioNodeStats>('getAudioStats')).mixers, []);
  });

  it('refuses bad arguments and changes nothing', async () => {
    const node = env.nodeOf('audio');
    const call = (method: string, ...args: unknown[]) => bus.call(node, method, args);
    await call('publishInternal', 'carol-mic', { type: 'internal', fromNode: 'publisher-node' });
    await call('initMixer', 'view-2', { room: 'room-1', controller: 'fake-conference', vad: false });
    await call('addInput', 'view-2', 'carol-mic', 'carol');
    // What the node holds (not its counters, which move on their own).
    const shape = async () => {
      const stats = (await call('getAudioStats')) as AudioNodeStats;
      return JSON.stringify({
        mixers: stats.mixers.map((m) => [m.mixerId, m.inputs.map((i) => [i.streamId, i.owner]), m.outputs]),
        transcoders: stats.transcoders.map((t) => [t.transcoderId, t.input]),
      });
    };
    const before = await shape();

    await assert.rejects(call('addInput', 'no-such-view', 'carol-mic', 'carol'), withCode('NOT_FOUND'));
    await assert.rejects(call('addInput', 'view-2', 'carol-mic', 'carol'), withCode('ALREADY_EXISTS'));
    await assert.rejects(call('addInput', 'view-2', 'not-published', 'dave'), withCode('NOT_FOUND'));
    await assert.rejects(call('addInput', 'view-2', '', 'dave'), withCode('INVALID_ARGUMENT'));
    await assert.rejects(call('addInput', 'view-2', 'carol-mic'), withCode('INVALID_ARGUMENT'));
    await assert.rejects(call('initMixer', 'view-3', { room: 'r', vad: true }), withCode('INVALID_ARGUMENT'));
    for (const spec of [
      { codec: 'opus', sampleRate: 44_100, channels: 2 },
      { codec: 'pcmu', sampleRate: 16_000, channels: 1 },
      { codec: 'mp3', sampleRate: 48_000, channels: 2 },
      { codec: 'opus', sampleRate: 48_000, channels: 3 },
      { codec: 'opus', sampleRate: 48_000, channels: 2, bitrate: 'lots' },
    ]) {
      await assert.rejects(
        call('generate', 'view-2', spec),
        withCode('INVALID_ARGUMENT'),
        JSON.stringify(spec),
      );
    }
    await assert.rejects(call('degenerate', 'view-2', 'view-2/a/none'), withCode('NOT_FOUND'));
    await assert.rejects(call('removeInput', 'view-2', 'bob-mic'), withCode('NOT_FOUND'));
    await assert.rejects(
      call('transcode', 't-1', 'carol-mic', { codec: 'pcmu', sampleRate: 48_000, channels: 1 }),
      withCode('INVALID_ARGUMENT'),
    );
    await assert.rejects(
      call('transcode', 't-1', 'not-published', { codec: 'pcmu', sampleRate: 8000, channels: 1 }),
      withCode('NOT_FOUND'),
    );
    assert.equal(await shape(), before);

    await call('removeInput', 'view-2', 'carol-mic');
    await call('destroyMixer', 'view-2');
  });
});
