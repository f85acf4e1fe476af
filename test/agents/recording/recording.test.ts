import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRecordingSink, type RecordingStatus } from '../../../agents/recording/recording-sink.js';
import { FrameGeneratorSource } from '../../../common/media/frame-generator-source.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { waitUntil } from '../../support/wait-until.js';
import { decodes, encodeFrames, probe, pushFrames, streamOf } from '../streaming/encoded-frames.js';

class Replay extends FrameGeneratorSource {
  out: ((f: MediaFrame) => void) | undefined;
  override start(deliver: (f: MediaFrame) => void): void {
    this.out = deliver;
  }
  play(frames: readonly MediaFrame[], signal?: AbortSignal): Promise<void> {
    return pushFrames(frames, (f) => this.out?.(f), { signal });
  }
}

describe('recording with real ffmpeg', () => {
  const work = mkdtempSync(join(tmpdir(), 'ms-recording-'));
  const router = new MediaRouter();
  const statuses: Array<[string, RecordingStatus]> = [];
  const onStatus = (id: string, s: RecordingStatus) => statuses.push([id, s]);
  const of = (id: string, status: string) =>
    statuses.filter(([i, s]) => i === id && s.status === status).map(([, s]) => s);
  const mounts: string[] = [];

  after(() => {
    router.close();
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(work, { recursive: true, force: true });
  });

  function record(id: string, spec: Record<string, unknown>, minFreeBytes = 0, dir = work) {
    const source = new Replay();
    router.publish(`s-${id}`, source);
    const sink = createRecordingSink(
      id,
      { type: 'recording', filename: id, ...spec },
      { dir, minFreeBytes, diskCheckMs: 200 },
      onStatus,
    );
    router.subscribe(id, sink);
    router.linkup(id, `s-${id}`);
    return { source, sink };
  }

  it('records 10 s to mkv (VP8+Opus) and mp4 (auto, H264+AAC): duration within 10 %, A/V start < 100 ms', async () => {
    const vp8 = encodeFrames({ video: 'vp8', audio: 'opus', seconds: 10 });
    const h264 = encodeFrames({ video: 'h264', audio: 'aac', seconds: 10 });
    const a = record('rec-mkv', { container: 'mkv' });
    const b = record('rec-auto', { container: 'auto' });
    await Promise.all([a.source.play(vp8), b.source.play(h264)]);
    router.unsubscribe('rec-mkv');
    router.unsubscribe('rec-auto');
    await waitUntil(
      () => of('rec-mkv', 'stopped').length + of('rec-auto', 'stopped').length === 2,
      15_000,
      'recordings finished',
    );
    assert.deepEqual(a.sink.files, [join(work, 'rec-mkv.mkv')]);
    assert.deepEqual(b.sink.files, [join(work, 'rec-auto.mp4')]);
    for (const file of [...a.sink.files, ...b.sink.files]) {
      const info = await probe(file);
      const duration = Number(info.format.duration);
      assert.ok(Math.abs(duration - 10) <= 1, `${file}: duration ${duration}`);
      const video = streamOf(info, 'video');
      const audio = streamOf(info, 'audio');
      assert.ok(video && audio, `${file}: both tracks`);
      assert.equal(video.width, 320);
      const offset = Math.abs(Number(video.start_time) - Number(audio.start_time));
      assert.ok(offset < 0.1, `${file}: A/V start offset ${offset}`);
      assert.ok((await decodes(file)).ok);
    }
    assert.equal(streamOf(await probe(a.sink.files[0]!), 'video')?.codec_name, 'vp8');
    assert.equal(streamOf(await probe(b.sink.files[0]!), 'audio')?.codec_name, 'aac');
    const started = of('rec-auto', 'started')[0];
    assert.ok(started?.status === 'started');
    assert.deepEqual(started.transcode, { audio: false, video: false });
  });

  it('files stay playable when the recording process is killed with SIGKILL at 5 s', async () => {
    const dir = join(work, 'killed');
    mkdirSync(dir);
    const child = spawn(
      process.execPath,
      [join(dirname(fileURLToPath(import.meta.url)), 'recording-child.js'), dir],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((r) => child.once('exit', r));
    try {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await waitUntil(() => out.includes('started'), 30_000, 'child recording');
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      // The whole group: the node and its ffmpeg processes, as a crash or OOM kill would.
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      await exited;
    }
    for (const name of ['kill-mkv.mkv', 'kill-mp4.mp4']) {
      const file = join(dir, name);
      assert.ok(existsSync(file) && statSync(file).size > 10_000, `${name} written`);
      const result = await decodes(file);
      assert.ok(result.ok, `${name} decodes: ${result.stderr}`);
      const info = await probe(file, { count: true });
      const video = streamOf(info, 'video');
      const frames = Number(video?.nb_read_frames);
      // ~5 s at 25 fps were written; allow for startup and the last unflushed fragment.
      assert.ok(frames >= 50 && frames <= 160, `${name}: ${frames} video frames`);
      assert.ok(streamOf(info, 'audio'), `${name}: audio track`);
    }
  });

  it('a full disk stops the recording cleanly with an event (tmpfs: ENOSPC and free-space limit)', async (t) => {
    const small = join(work, 'small');
    const guarded = join(work, 'guarded');
    mkdirSync(small);
    mkdirSync(guarded);
    const m1 = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small]);
    const m2 = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', guarded]);
    if (m1.status !== 0 || m2.status !== 0) {
      t.skip(`cannot mount tmpfs here: ${m1.stderr?.toString()}`);
      return;
    }
    mounts.push(small, guarded);
    const frames = encodeFrames({ video: 'vp8', audio: 'opus', seconds: 30, width: 640, height: 480 });
    const abort = new AbortController();
    // No limit: ffmpeg hits ENOSPC itself. Limit 512 KiB on 1 MiB: stopped before that.
    const full = record('rec-full', { container: 'mkv' }, 0, small);
    const guard = record('rec-guard', { container: 'mkv' }, 512 * 1024, guarded);
    const playing = Promise.all([
      full.source.play(frames, abort.signal),
      guard.source.play(frames, abort.signal),
    ]);
    try {
      await waitUntil(
        () => of('rec-full', 'stopped').length > 0 && of('rec-guard', 'stopped').length > 0,
        30_000,
        'both recordings stopped',
      );
    } finally {
      abort.abort();
      await playing;
    }
    const fullStop = of('rec-full', 'stopped')[0];
    assert.ok(fullStop?.status === 'stopped' && fullStop.reason === 'disk-full', JSON.stringify(fullStop));
    const guardStop = of('rec-guard', 'stopped')[0];
    assert.ok(guardStop?.status === 'stopped' && guardStop.reason === 'disk-full', JSON.stringify(guardStop));
    // Stopped before the disk was full: the file is complete and playable.
    const info = await probe(guard.sink.files[0]!, { count: true });
    assert.ok(Number(streamOf(info, 'video')?.nb_read_frames) > 10);
    assert.ok((await decodes(guard.sink.files[0]!)).ok);
    router.unsubscribe('rec-full');
    router.unsubscribe('rec-guard');
  });

  it('rejects unsafe file names and directories', () => {
    const bad = [
      { filename: '../x' },
      { filename: 'a/b' },
      { dir: 'relative' },
      { dir: '/tmp/../etc' },
      { container: 'avi' },
    ];
    for (const spec of bad) {
      assert.throws(
        () =>
          createRecordingSink('x', { type: 'recording', ...spec }, { dir: work, minFreeBytes: 0 }, onStatus),
        /invalid sink/,
      );
    }
  });
});
