/**
 * Streaming-out and recording cost, driving the sinks directly (no cluster): one published
 * stream of real encoded 640x360@30 frames (~1 Mbps) linked to N sinks.
 *
 * - streaming-out → RTMP on a private nginx-rtmp (127.0.0.1), fed at real-time pace:
 *   copy (H.264 + AAC: RTMP copies only these) for N = 1, 4, 8 and transcode (VP8 + Opus →
 *   H.264 1000k + AAC) for N = 1, 2. CPU of every ffmpeg child (/proc/<pid>/stat) and of this
 *   process over a steady-state window; each output is checked in nginx's FLV recording.
 * - recording (mkv, copy, VP8 + Opus) for N = 1, 4, fed at a fixed multiple of real time
 *   (the sink has no back-pressure API: above 4 MiB queued it drops video, reported as drops).
 *
 * Usage: node dist/bench/streaming/streaming-bench.js [seconds per case, default 8]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordingSink } from '../../agents/recording/recording-sink.js';
import { MkvFrameExtractor } from '../../agents/streaming/mkv-frame-extractor.js';
import { createStreamingOutSink } from '../../agents/streaming/streaming-out-sink.js';
import { FrameGeneratorSource } from '../../common/media/frame-generator-source.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { MediaRouter } from '../../common/media/media-router.js';
import { probe, pushFrames, streamOf } from '../../test/agents/streaming/encoded-frames.js';
import { type NginxRtmp, startNginxRtmp } from '../../test/support/nginx-rtmp.js';

const seconds = Math.min(Math.max(Number(process.argv[2] ?? 8), 3), 30);
const WARMUP_MS = 2000;
const RECORD_SPEED = 30;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

class Replay extends FrameGeneratorSource {
  out: ((f: MediaFrame) => void) | undefined;
  override start(deliver: (f: MediaFrame) => void): void {
    this.out = deliver;
  }
}

/** ~1 Mbps 640x360@30 of testsrc2 + a tone, encoded by ffmpeg, as MediaFrames. */
function encode(video: 'h264' | 'vp8', audio: 'aac' | 'opus', secs: number): MediaFrame[] {
  const args = ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30'];
  args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(secs));
  if (video === 'h264')
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline');
  else args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8');
  args.push('-pix_fmt', 'yuv420p', '-g', '60', '-b:v', '900k', '-maxrate', '900k', '-bufsize', '900k');
  args.push(
    '-c:a',
    audio === 'aac' ? 'aac' : 'libopus',
    '-b:a',
    '64k',
    '-ac',
    '2',
    '-f',
    'matroska',
    'pipe:1',
  );
  const out = execFileSync('ffmpeg', args, { maxBuffer: 256 << 20, timeout: 120_000 });
  const frames: MediaFrame[] = [];
  new MkvFrameExtractor((f) => frames.push(f)).push(out);
  return frames;
}

/** `frames` (spanning `spanS`) repeated `times` with continuing timestamps. */
function repeat(frames: readonly MediaFrame[], spanS: number, times: number): MediaFrame[] {
  const out: MediaFrame[] = [];
  for (let i = 0; i < times; i++)
    for (const f of frames) out.push({ ...f, timestamp: f.timestamp + i * spanS * f.clockRate });
  return out;
}

function bitsOf(frames: readonly MediaFrame[], spanS: number): number {
  return (frames.reduce((n, f) => n + f.payload.length, 0) * 8) / spanS;
}

/** CPU seconds (user + system) of a process, 0 if gone. */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

interface Sink {
  ffmpegPid: number | undefined;
  stopped: boolean;
  framesDropped?: number;
}

/** Video frames the sink dropped (RecordingSink keeps its PipedFfmpegOutput private). */
function dropsOf(sink: Sink): number {
  return sink.framesDropped ?? (sink as { output?: { framesDropped?: number } }).output?.framesDropped ?? 0;
}

interface Measured {
  ffmpegCpu: number;
  nodeCpu: number;
  nginxCpu: number;
  wallS: number;
  pids: number[];
  drops: number;
}

/** Publishes `frames`, links `n` sinks, plays at `speed`, measures CPU after the warm-up. */
async function drive(
  router: MediaRouter,
  name: string,
  n: number,
  frames: readonly MediaFrame[],
  speed: number,
  makeSink: (id: string) => Sink & Parameters<MediaRouter['subscribe']>[1],
  nginxPid?: number,
): Promise<Measured> {
  const source = new Replay();
  router.publish(name, source);
  const sinks: Sink[] = [];
  const ids: string[] = [];
  const seen = new Set<number>();
  const abort = new AbortController();
  try {
    for (let i = 0; i < n; i++) {
      const id = `${name}-${i}`;
      const sink = makeSink(id);
      router.subscribe(id, sink);
      router.linkup(id, name);
      sinks.push(sink);
      ids.push(id);
    }
    const playing = pushFrames(frames, (f) => source.out?.(f), { speed, signal: abort.signal });
    await sleep(WARMUP_MS);
    const pids = sinks.map((s) => s.ffmpegPid).filter((p): p is number => p !== undefined);
    for (const p of pids) seen.add(p);
    const f0 = pids.map(cpuOf);
    const n0 = selfCpu();
    const g0 = nginxPid ? cpuOf(nginxPid) : 0;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const ffmpegCpu = pids.map(cpuOf).reduce((a, c, i) => a + Math.max(0, c - f0[i]!), 0);
    const measured: Measured = {
      ffmpegCpu,
      nodeCpu: selfCpu() - n0,
      nginxCpu: nginxPid ? cpuOf(nginxPid) - g0 : 0,
      wallS: (performance.now() - t0) / 1000,
      pids,
      drops: sinks.reduce((a, s) => a + dropsOf(s), 0),
    };
    // A restarted ffmpeg (new pid) would make the numbers wrong: say so.
    const now = sinks.map((s) => s.ffmpegPid);
    if (now.some((p, i) => p !== pids[i])) throw new Error(`${name}: an ffmpeg restarted during the window`);
    abort.abort();
    await playing;
    return measured;
  } finally {
    abort.abort();
    for (const id of ids) router.unsubscribe(id);
    router.unpublish(name);
    await until(() => sinks.every((s) => s.stopped), 10_000);
    // Anything still alive (stop timed out): kill it by pid.
    for (const s of sinks) if (s.ffmpegPid) seen.add(s.ffmpegPid);
    for (const pid of seen) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

interface Row {
  case: string;
  n: number;
  ffmpegPct: number;
  nodePct: number;
  nginxPct: number;
  perOutput: number;
  perCore: number;
  /** (total − total of 1 output) / (n − 1): the cost of one more output, fixed costs left out. */
  marginal: number | undefined;
  check: string;
}

const pct = (cpu: number, wall: number) => (100 * cpu) / wall;

async function main(): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(2));
  const work = mkdtempSync(join(tmpdir(), 'ms-streaming-bench-'));
  const router = new MediaRouter();
  let nginx: NginxRtmp | undefined;
  try {
    const span = 10;
    const h264 = encode('h264', 'aac', span);
    const vp8 = encode('vp8', 'opus', span);
    const times = Math.ceil((WARMUP_MS / 1000 + seconds + 1) / span);
    const h264Live = repeat(h264, span, times);
    const vp8Live = repeat(vp8, span, times);
    nginx = await startNginxRtmp();
    const nginxPid = Number(readFileSync(join(nginx.prefix, 'nginx.pid'), 'utf8').trim());
    watchdogKills.add(nginxPid);
    const rows: Row[] = [];

    const streamCases: Array<[string, 'copy' | 'transcode', number, MediaFrame[]]> = [
      ['copy H264+AAC → RTMP', 'copy', 1, h264Live],
      ['copy H264+AAC → RTMP', 'copy', 4, h264Live],
      ['copy H264+AAC → RTMP', 'copy', 8, h264Live],
      ['transcode VP8+Opus → H264+AAC RTMP', 'transcode', 1, vp8Live],
      ['transcode VP8+Opus → H264+AAC RTMP', 'transcode', 2, vp8Live],
    ];
    for (const [label, mode, n, frames] of streamCases) {
      const name = `${mode}${n}`;
      const transcodeSeen: boolean[] = [];
      const m = await drive(
        router,
        name,
        n,
        frames,
        1,
        (id) =>
          createStreamingOutSink(
            id,
            {
              type: 'streaming-out',
              protocol: 'rtmp',
              url: nginx!.url('live', id),
              parameters: { bitrate: 1000 },
            },
            (_sid, s) => {
              if (s.status === 'started') transcodeSeen.push(s.transcode.video || s.transcode.audio);
            },
          ),
        nginxPid,
      );
      // Every output reached nginx: its FLV recording holds H.264 + AAC of about the played length.
      let ok = 0;
      const durations: number[] = [];
      for (let i = 0; i < n; i++) {
        const id = `${name}-${i}`;
        await until(() => nginx!.recordings(id).length > 0, 5000);
        const files = nginx.recordings(id);
        if (files.length !== 1) continue;
        const info = await probe(files[0]!, { timeoutMs: 20_000 });
        const d = Number(info.format.duration);
        durations.push(d);
        if (streamOf(info, 'video')?.codec_name === 'h264' && streamOf(info, 'audio')?.codec_name === 'aac')
          if (d >= seconds) ok++;
      }
      const expectTranscode = mode === 'transcode';
      const modeOk = transcodeSeen.length === n && transcodeSeen.every((t) => t === expectTranscode);
      const total = pct(m.ffmpegCpu + m.nodeCpu, m.wallS);
      const per = total / n;
      const one = rows.find((r) => r.case === label && r.n === 1);
      const marginal = one && n > 1 ? (total - one.perOutput) / (n - 1) : undefined;
      rows.push({
        case: label,
        n,
        ffmpegPct: pct(m.ffmpegCpu, m.wallS),
        nodePct: pct(m.nodeCpu, m.wallS),
        nginxPct: pct(m.nginxCpu, m.wallS),
        perOutput: per,
        perCore: 100 / per,
        marginal,
        check: `${ok}/${n} in nginx (FLV ${Math.min(...durations).toFixed(1)}–${Math.max(...durations).toFixed(1)} s)${modeOk ? '' : ', transcode flag WRONG'}${m.drops ? `, ${m.drops} drops` : ''}`,
      });
      console.error(`done: ${label} x${n}`);
    }

    // Recording: mkv copy of VP8 + Opus, fed at RECORD_SPEED × real time.
    const recTimes = Math.ceil(((WARMUP_MS / 1000 + seconds + 1) * RECORD_SPEED) / span);
    const vp8Fast = repeat(vp8, span, recTimes);
    const recRows: string[] = [];
    for (const n of [1, 4]) {
      const dir = join(work, `rec${n}`);
      const sizeAt = () => {
        try {
          return readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
        } catch {
          return 0;
        }
      };
      let s0 = 0;
      let s1 = 0;
      const sinks: Sink[] = [];
      const name = `rec${n}`;
      // Sizes sampled at the same moments as the CPU window (start after warm-up, end).
      const sampler = (async () => {
        await sleep(WARMUP_MS);
        s0 = sizeAt();
        await sleep(seconds * 1000);
        s1 = sizeAt();
      })();
      const m = await drive(router, name, n, vp8Fast, RECORD_SPEED, (id) => {
        const sink = createRecordingSink(
          id,
          { type: 'recording', container: 'mkv', filename: id, dir },
          { dir, minFreeBytes: 0 },
          () => {},
        );
        sinks.push(sink);
        return sink;
      });
      await sampler;
      const mb = (s1 - s0) / 1e6;
      const rate = mb / m.wallS;
      const cpu = pct(m.ffmpegCpu + m.nodeCpu, m.wallS);
      const offered = (n * RECORD_SPEED * bitsOf(vp8, span)) / 8 / 1e6;
      recRows.push(
        `| mkv copy VP8+Opus, ${RECORD_SPEED}× real time | ${n} | ${offered.toFixed(1)} | ${rate.toFixed(1)} | ${pct(m.ffmpegCpu, m.wallS).toFixed(0)} | ${pct(m.nodeCpu, m.wallS).toFixed(0)} | ${(cpu / Math.max(rate, 1e-9)).toFixed(1)} | ${m.drops} |`,
      );
      rmSync(dir, { recursive: true, force: true });
      console.error(`done: recording x${n}`);
    }

    console.log(`# streaming bench (${seconds} s per case after ${WARMUP_MS / 1000} s warm-up)`);
    console.log('');
    console.log(
      `load average at start: ${load.join(' ')}; source: ${(bitsOf(h264, span) / 1e6).toFixed(2)} Mbps H264+AAC, ${(bitsOf(vp8, span) / 1e6).toFixed(2)} Mbps VP8+Opus, 640x360@30`,
    );
    console.log('');
    console.log(
      '| case | outputs | ffmpeg CPU % | node CPU % | nginx CPU % | % of a core per output (ffmpeg+node) | outputs per core | marginal % per added output | check |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of rows)
      console.log(
        `| ${r.case} | ${r.n} | ${r.ffmpegPct.toFixed(1)} | ${r.nodePct.toFixed(1)} | ${r.nginxPct.toFixed(1)} | ${r.perOutput.toFixed(1)} | ${r.perCore.toFixed(0)} | ${r.marginal === undefined ? '–' : r.marginal.toFixed(2)} | ${r.check} |`,
      );
    console.log('');
    console.log(
      '| recording | files | offered MB/s | written MB/s | ffmpeg CPU % | node CPU % | CPU % per MB/s | video frames dropped |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of recRows) console.log(r);
  } finally {
    router.close();
    await sleep(200);
    await nginx?.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Processes the watchdog must stop itself if it fires. */
const watchdogKills = new Set<number>();

const timer = setTimeout(() => {
  console.error('streaming bench: over 10 minutes, giving up');
  // FFmpeg children end with their stdin pipes; nginx does not, so stop it by pid.
  for (const pid of watchdogKills) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  process.exit(2);
}, 600_000);
timer.unref();
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
