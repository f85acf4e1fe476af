import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { connectPair, startServer, waitFor } from './link-test-helpers.js';

const MAX_QUEUE_BYTES = 2 * 1024 * 1024;
const HIGH_WATER = 256 * 1024;
const VIDEO_BYTES = 10_000;

function video(seq: number, keyframe: boolean, size = VIDEO_BYTES): MediaFrame {
  const payload = Buffer.alloc(size, seq & 0xff);
  payload.writeUInt32BE(seq, 0);
  return {
    kind: 'video',
    codec: 'vp8',
    keyframe,
    timestamp: seq * 3000,
    clockRate: 90_000,
    width: 0,
    height: 0,
    payload,
  };
}

function audio(seq: number): MediaFrame {
  const payload = Buffer.alloc(160, 1);
  payload.writeUInt32BE(seq, 0);
  return {
    kind: 'audio',
    codec: 'opus',
    timestamp: seq * 960,
    clockRate: 48_000,
    sampleRate: 48_000,
    channels: 2,
    payload,
  };
}

const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

describe('slow consumer policy', () => {
  it('bounds memory, drops non-key video, asks for keyframes, and recovers', async (t) => {
    const server = await startServer();
    t.after(() => server.close());
    const { client, serverLink } = await connectPair(server, {
      link: {
        maxQueueBytes: MAX_QUEUE_BYTES,
        maxQueueFrames: 5000,
        dropThresholdBytes: 512 * 1024,
        transportHighWaterBytes: HIGH_WATER,
        keyframeRequestIntervalMs: 200,
      },
    });
    t.after(() => client.close('test done'));

    // The receiver keeps a log to check decodability: after any gap comes a keyframe.
    const videoSeen: { seq: number; keyframe: boolean }[] = [];
    let audioSeen = 0;
    serverLink.on('frame', (id, f) => {
      if (id === 'video' && f.kind === 'video')
        videoSeen.push({ seq: Buffer.from(f.payload).readUInt32BE(0), keyframe: f.keyframe });
      if (id === 'audio') audioSeen++;
    });
    const keyframeRequests: string[] = [];
    client.on('feedback', (id: string, fb: MediaFeedback, origin) => {
      if (fb.type === 'keyframe-request' && origin === 'local') keyframeRequests.push(id);
    });

    serverLink.pauseReceiving();
    let seq = 0;
    let peakQueued = 0;
    let peakBuffered = 0;
    const sendRound = (n: number) => {
      for (let i = 0; i < n; i++, seq++) {
        client.sendFrame('video', video(seq, seq % 30 === 0));
        client.sendFrame('audio', audio(seq));
        const s = client.stats();
        peakQueued = Math.max(peakQueued, s.queuedBytes);
        peakBuffered = Math.max(peakBuffered, s.transportBufferedBytes);
      }
    };
    // ~25 MB offered while nobody reads: far more than the kernel's socket buffers.
    for (let round = 0; round < 500; round++) {
      sendRound(5);
      await yieldToIo();
    }
    const stalled = client.stats();
    assert.ok(peakQueued <= MAX_QUEUE_BYTES, `queue peaked at ${peakQueued}`);
    assert.ok(peakBuffered <= HIGH_WATER + VIDEO_BYTES + 1024, `transport buffer peaked at ${peakBuffered}`);
    assert.ok(client.droppedFrames('video') > 1000, `video dropped ${client.droppedFrames('video')}`);
    assert.equal(client.droppedFrames('audio'), 0, 'audio is kept while the queue has room');
    assert.ok(keyframeRequests.includes('video'), 'a keyframe request was raised');
    assert.ok(!keyframeRequests.includes('audio'));
    assert.ok(
      stalled.keyframeRequestsRaised < 50,
      `requests are rate-limited: ${stalled.keyframeRequestsRaised}`,
    );

    // Hard limits: big keyframes until none fits, then audio until the frame limit.
    const videoDroppedBefore = client.droppedFrames('video');
    for (let round = 0; round < 100; round++) {
      client.sendFrame('video', video(seq++, true, 100_000));
      peakQueued = Math.max(peakQueued, client.stats().queuedBytes);
      if (round % 10 === 0) await yieldToIo();
    }
    assert.ok(peakQueued <= MAX_QUEUE_BYTES, `queue peaked at ${peakQueued}`);
    assert.ok(
      client.droppedFrames('video') > videoDroppedBefore + 50,
      'keyframes drop once the queue is hard-full',
    );
    for (let i = 0; i < 6000; i++) client.sendFrame('audio', audio(seq + i));
    assert.ok(client.stats().queuedFrames <= 5000, `queued frames ${client.stats().queuedFrames}`);
    assert.ok(client.droppedFrames('audio') > 0, 'audio drops once the queue is hard-full');

    // Resume reading: the backlog drains, then video flows again from a keyframe.
    serverLink.resumeReceiving();
    await waitFor(
      () => client.stats().queuedBytes === 0 && client.stats().transportBufferedBytes === 0,
      10_000,
      'drain',
    );
    const resumeAt = seq;
    for (let i = 0; i < 60; i++, seq++) {
      client.sendFrame('video', video(seq, seq === resumeAt + 5));
      client.sendFrame('audio', audio(seq));
      await yieldToIo();
    }
    await waitFor(() => videoSeen.at(-1)?.seq === seq - 1, 5_000, 'last frame');
    const afterResume = videoSeen.filter((f) => f.seq >= resumeAt);
    assert.equal(afterResume[0]?.seq, resumeAt + 5, 'first frame after resume is the keyframe');
    assert.equal(afterResume.length, 55, 'everything after the keyframe arrives');
    for (let i = 1; i < videoSeen.length; i++) {
      const { seq: s, keyframe } = videoSeen[i]!;
      if (s !== videoSeen[i - 1]!.seq + 1) assert.ok(keyframe, `gap before ${s} is followed by a keyframe`);
    }
    assert.ok(audioSeen > 2000);
    assert.equal(client.stats().framesDropped, client.droppedFrames('video') + client.droppedFrames('audio'));
  });
});
