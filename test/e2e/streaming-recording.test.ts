/**
 * Streaming and recording wired into rooms, end to end: real RabbitMQ, every part in its own
 * process (`mediaspread start …`: cluster manager, management API, portal, conference agent,
 * two webrtc agents, a streaming agent, a recording agent; test/e2e/stack.ts), a real nginx-rtmp, ffmpeg/ffprobe and
 * headless Chromium pages with the browser SDK.
 * - A page publishes its fake camera (VP8); REST starts a streaming-out to nginx-rtmp: ffprobe
 *   reads the RTMP stream back as H264 at the camera's size; REST starts a recording, DELETE
 *   ends it and the file plays (ffprobe duration > 0).
 * - ffmpeg pushes a test pattern to nginx; a REST streaming-in pulls it into a room; a page
 *   gets `stream add` and decodes it at the pattern's size; DELETE removes it from the page.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { CLUSTER_MANAGER_ID } from '../../cluster-manager/protocol.js';
import type { AmqpBus } from '../../common/rpc/amqp-bus.js';
import type { ManagementApiClient } from '../../management-api/api-client.js';
import { type NginxRtmp, startNginxRtmp } from '../support/nginx-rtmp.js';
import { waitUntil } from '../support/wait-until.js';
import { type SfuStack, startSfuStack } from './stack.js';

const execFileAsync = promisify(execFile);

const PAGE_SCRIPT = `
window.events = [];
window.publish = async (token) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  await client.join(token);
  const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  window.pub = await client.publish(media, { video: { codecs: ['vp8'] } });
  return { streamId: window.pub.id };
};
window.watch = async (token) => {
  const client = new MediaSpread.ConferenceClient();
  window.client = client;
  client.on('streamadded', (e) => window.events.push('streamadded:' + e.stream.id));
  client.on('streamremoved', (e) => window.events.push('streamremoved:' + e.stream.id));
  const info = await client.join(token);
  const remote = await window.streamWhere(client, (s) => s.type === 'forward' && s.origin !== info.self.id);
  window.sub = await client.subscribe(remote, { audio: true, video: true });
  window.showStream(window.sub.stream);
  return { streamId: remote.id, origin: remote.origin, transportId: client.transportId };
};
window.received = async () => {
  // The SDK answers with one RTCStatsReport per track.
  const reports = await window.sub.getStats();
  let video = { frames: 0, width: 0, height: 0 };
  for (const report of reports) {
    const codecs = new Map();
    report.forEach((s) => { if (s.type === 'codec') codecs.set(s.id, s.mimeType); });
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded ?? 0) >= video.frames)
        video = { frames: s.framesDecoded ?? 0, width: s.frameWidth ?? 0, height: s.frameHeight ?? 0,
          packets: s.packetsReceived, keyFrames: s.keyFramesDecoded, codec: codecs.get(s.codecId) };
    });
  }
  return video;
};
`;

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
}
interface Probe {
  streams: ProbeStream[];
  format: { duration?: string };
}

async function probe(target: string): Promise<Probe> {
  const args = [
    '-v',
    'error',
    '-rw_timeout',
    '10000000',
    '-print_format',
    'json',
    '-show_streams',
    '-show_format',
  ];
  const { stdout } = await execFileAsync('ffprobe', [...args, target], { timeout: 20_000 });
  return JSON.parse(stdout) as Probe;
}

/** ffmpeg publishing a live H264 (baseline) + AAC test pattern to an RTMP URL, at most 120 s. */
function pushTestPattern(url: string): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      ...['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '120'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline'],
      ...['-pix_fmt', 'yuv420p', '-g', '25', '-c:a', 'aac', '-f', 'flv', url],
    ],
    { stdio: 'ignore' },
  );
}

async function stopProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

describe('streaming-out, recording and streaming-in through REST, end to end', { timeout: 300_000 }, () => {
  let stack: SfuStack;
  let nginx: NginxRtmp;
  let bus: AmqpBus;
  let api: ManagementApiClient;
  let recordingDir = '';
  const pushers: ChildProcess[] = [];

  before(async () => {
    nginx = await startNginxRtmp();
    recordingDir = mkdtempSync(join(tmpdir(), 'mediaspread-e2e-rec-'));
    stack = await startSfuStack(PAGE_SCRIPT, {
      agents: ['streaming', 'recording'],
      config: ['[recording]', `dir = "${recordingDir}"`, 'minFreeBytes = 1048576'],
    });
    api = stack.api;
    bus = stack.bus;
  });

  after(async () => {
    for (const p of pushers) await stopProcess(p);
    await stack?.close();
    await nginx?.remove();
  });

  const newRoom = (name: string): Promise<string> => stack.createRoom(name);

  /**
   * Runs a page's join (publish/watch) with a fresh token, again when the login was refused
   * because the conference agent was momentarily over its max load (it reports machine CPU,
   * which other work on a shared test machine can fill).
   */
  const joinPage = async <T>(page: Page, fn: string, room: string, user: string): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await page.evaluate(
          `window.${fn}(${JSON.stringify(await stack.tokenFor(room, user))})`,
        )) as T;
      } catch (err) {
        if (attempt >= 10 || !/under max load/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };

  const nodeOf = async (purpose: string, task: string): Promise<string | null> => {
    const agent = await bus.call<string | null>(CLUSTER_MANAGER_ID, 'getScheduled', [purpose, task]);
    return agent ? bus.call<string | null>(agent, 'queryNode', [task]) : null;
  };

  const openPage = (): Promise<Page> => stack.openPage();

  it('a published camera: streaming-out to RTMP reads back as H264 640x480; a recording plays after DELETE', async () => {
    const room = await newRoom('e2e-outputs');
    const page = await openPage();
    try {
      const { streamId } = await joinPage<{ streamId: string }>(page, 'publish', room, 'alice');
      const media = { audio: { from: streamId }, video: { from: streamId } };

      const rtmpUrl = nginx.url('live', 'out1');
      const out = (
        await api.requestOk('POST', `/v1/rooms/${room}/streaming-outs`, {
          protocol: 'rtmp',
          url: rtmpUrl,
          media,
        })
      ).json as { id: string; url: string; protocol: string };
      assert.equal(out.url, rtmpUrl);
      assert.equal(out.protocol, 'rtmp');
      const worker = await bus.call<string | null>(CLUSTER_MANAGER_ID, 'getScheduled', ['streaming', out.id]);
      assert.equal(typeof worker, 'string', 'the output has its streaming worker');
      await waitUntil(
        async () => {
          const outs = (await api.requestOk('GET', `/v1/rooms/${room}/streaming-outs`)).json as {
            id: string;
            status: string;
          }[];
          return outs.some((o) => o.id === out.id && o.status === 'active');
        },
        30_000,
        'streaming-out active',
      );
      // ffprobe pulls the live stream back from nginx.
      let video: ProbeStream | undefined;
      await waitUntil(
        async () => {
          const result = await probe(rtmpUrl).catch(() => undefined);
          video = result?.streams.find((s) => s.codec_type === 'video');
          return video?.width === 640 && video?.height === 480;
        },
        30_000,
        `RTMP read back at 640x480 (last ${JSON.stringify(video)})`,
      );
      assert.equal(video?.codec_name, 'h264');

      const rec = (await api.requestOk('POST', `/v1/rooms/${room}/recordings`, { container: 'auto', media }))
        .json as {
        id: string;
        storage: { file: string };
      };
      await waitUntil(
        async () => {
          const recs = (await api.requestOk('GET', `/v1/rooms/${room}/recordings`)).json as {
            id: string;
            status: string;
          }[];
          return recs.some((r) => r.id === rec.id && r.status === 'active');
        },
        30_000,
        'recording active',
      );
      await new Promise((r) => setTimeout(r, 4000));
      await api.requestOk('DELETE', `/v1/rooms/${room}/recordings/${rec.id}`);
      // VP8 + Opus → auto → webm, named after the recording id.
      assert.equal(rec.storage.file, `${rec.id}.webm`);
      const file = join(recordingDir, rec.storage.file);
      assert.ok(existsSync(file), `${file} exists`);
      const recorded = await probe(file);
      assert.ok(Number(recorded.format.duration ?? 0) > 1, `duration ${recorded.format.duration}`);
      assert.ok(recorded.streams.some((s) => s.codec_type === 'video' && s.width === 640));
      assert.deepEqual((await api.requestOk('GET', `/v1/rooms/${room}/recordings`)).json, []);

      // PATCH: the streaming-out switches to a second publisher's stream, keeping its ffmpeg and
      // its RTMP connection (nginx records one publish session, i.e. one FLV file).
      const page2 = await openPage();
      try {
        const second = await joinPage<{ streamId: string }>(page2, 'publish', room, 'carol');
        const patched = (
          await api.requestOk('PATCH', `/v1/rooms/${room}/streaming-outs/${out.id}`, [
            { op: 'replace', path: '/media/video/from', value: second.streamId },
            { op: 'replace', path: '/media/audio/from', value: second.streamId },
          ])
        ).json as { media: { video: { from: string } } };
        assert.equal(patched.media.video.from, second.streamId);
        await new Promise((r) => setTimeout(r, 3000));
        const after = await probe(rtmpUrl);
        assert.ok(
          after.streams.some((s) => s.codec_type === 'video' && s.codec_name === 'h264' && s.width === 640),
        );
        // The first publisher leaves: the output now reads the second stream and stays.
        await page.evaluate('window.pub.stop()');
        await new Promise((r) => setTimeout(r, 1000));
        const outs = (await api.requestOk('GET', `/v1/rooms/${room}/streaming-outs`)).json as {
          id: string;
        }[];
        assert.deepEqual(
          outs.map((o) => o.id),
          [out.id],
        );
        await api.requestOk('DELETE', `/v1/rooms/${room}/streaming-outs/${out.id}`);
        assert.deepEqual((await api.requestOk('GET', `/v1/rooms/${room}/streaming-outs`)).json, []);
        assert.equal(
          nginx.recordings('out1').length,
          1,
          `one RTMP session: ${nginx.recordings('out1').join(', ')}`,
        );
      } finally {
        await page2.close();
      }
      const unknown = await api.request('DELETE', `/v1/rooms/${room}/streaming-outs/${out.id}`);
      assert.equal(unknown.status, 404);
    } finally {
      await page.close();
    }
  });

  it('streaming-in: an RTMP test pattern is pulled into a new room; a page decodes it at 320x240; DELETE removes it', async () => {
    const room = await newRoom('e2e-streaming-in');
    const url = nginx.url('live', 'in1');
    pushers.push(pushTestPattern(url));
    await new Promise((r) => setTimeout(r, 1500));
    // The room is not live: the streaming-in starts it.
    const created = (
      await api.requestOk('POST', `/v1/rooms/${room}/streaming-ins`, {
        connection: { url },
        media: { audio: 'auto', video: 'auto' },
        attributes: { camera: 'pattern' },
      })
    ).json as { id: string; type: string; info: { type: string; owner: string; attributes: unknown } };
    assert.equal(created.type, 'forward');
    assert.equal(created.info.type, 'streaming');
    assert.deepEqual(created.info.attributes, { camera: 'pattern' });
    await waitUntil(
      async () => {
        const streams = (await api.requestOk('GET', `/v1/rooms/${room}/streams`)).json as { id: string }[];
        return streams.some((s) => s.id === created.id);
      },
      20_000,
      'streaming-in listed as a stream',
    );
    const page = await openPage();
    try {
      const watched = await joinPage<{ streamId: string; transportId: string }>(page, 'watch', room, 'bob');
      assert.equal(watched.streamId, created.id);
      let got = { frames: 0, width: 0, height: 0 };
      try {
        await waitUntil(
          async () => {
            got = (await page.evaluate('window.received()')) as typeof got;
            return got.frames > 0 && got.width === 320 && got.height === 240;
          },
          20_000,
          'frames decoded at 320x240',
        );
      } catch (err) {
        // What each hop saw, for the diagnosis.
        const stats = async (purpose: string, task: string) => {
          const node = await nodeOf(purpose, task).catch(() => null);
          return node ? bus.call(node, 'getMediaStats', []).catch((e: unknown) => String(e)) : 'no node';
        };
        const detail = {
          page: got,
          streaming: await stats('streaming', created.id),
          webrtc: await stats('webrtc', watched.transportId),
          transport: await nodeOf('webrtc', watched.transportId)
            .then((node) => (node ? bus.call(node, 'getStats', [watched.transportId]) : 'no node'))
            .catch((e: unknown) => String(e)),
        };
        throw new Error(`${(err as Error).message}: ${JSON.stringify(detail)}`);
      }
      await api.requestOk('DELETE', `/v1/rooms/${room}/streaming-ins/${created.id}`);
      await waitUntil(
        async () =>
          ((await page.evaluate('window.events')) as string[]).includes(`streamremoved:${created.id}`),
        10_000,
        'stream remove on the page',
      );
      assert.equal(await bus.call(CLUSTER_MANAGER_ID, 'getScheduled', ['streaming', created.id]), null);
    } finally {
      await page.close();
    }
  });
});
