import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ffmpeg } from './native-test-helpers.js';

const CHILD = fileURLToPath(new URL('./decoder-fuzz-child.js', import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[], timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('native decoders fed damaged frames', () => {
  let dir = '';
  let av1 = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediaspread-fuzz-'));
    av1 = join(dir, 'av1.ivf');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=176x144:rate=30',
      '-frames:v',
      '10',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libaom-av1',
      '-b:v',
      '300k',
      '-cpu-used',
      '8',
      '-usage',
      'realtime',
      '-f',
      'ivf',
      av1,
    ]);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function fuzzRun(
    t: { diagnostic(message: string): void },
    seed: number,
    rounds: number,
  ): Promise<void> {
    t.diagnostic(`seed ${seed} (set MEDIASPREAD_FUZZ_SEED to replay)`);
    const result = await runChild([String(seed), String(rounds), av1], 180_000);
    assert.equal(
      result.signal,
      null,
      `child killed by ${result.signal} (seed ${seed}); stderr: ${result.stderr}`,
    );
    assert.equal(result.code, 0, `child exited ${result.code} (seed ${seed}); stderr: ${result.stderr}`);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      summary: Record<string, { decoded: number; empty: number; threw: number; recovered: boolean }>;
    };
    for (const codec of ['vp8', 'vp9', 'h264', 'av1', 'opus', 'aac', 'pcmu', 'pcma']) {
      const o = report.summary[codec];
      assert.ok(o, `${codec} fuzzed`);
      assert.equal(o.decoded + o.empty + o.threw, rounds, `${codec}: every round accounted for`);
      assert.ok(o.decoded > 0, `${codec}: some frames still decode (seed ${seed})`);
      assert.ok(o.recovered, `${codec}: decodes a clean frame after the damage (seed ${seed})`);
    }
    // Damage must actually reach the error paths of the compressed codecs.
    for (const codec of ['vp8', 'vp9', 'h264', 'opus']) {
      const o = report.summary[codec]!;
      assert.ok(o.threw + o.empty > 0, `${codec}: damaged frames were noticed (seed ${seed})`);
    }
  }

  it('throw CodecError or return nothing, never crash, and decode again after a keyframe', (t) =>
    fuzzRun(t, Number(process.env.MEDIASPREAD_FUZZ_SEED ?? Date.now() % 1_000_000), 1500));

  // Seeds that once found bugs, replayed every run. 174218: VP9 refused every packet with EINVAL
  // after damage until the decoder context was recreated (flush was not enough).
  for (const seed of [174218]) {
    it(`known seed ${seed}`, (t) => fuzzRun(t, seed, 300));
  }
});
