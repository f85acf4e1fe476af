import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from './nginx-rtmp.js';

/**
 * An HTTP-FLV server for tests: FFmpeg's own HTTP server (`-f flv -listen 1 http://…`) encoding
 * a live test pattern (H.264 + AAC) and streaming it as one endless FLV response, which is
 * what HTTP-FLV live servers (SRS, node-media-server, nginx-http-flv) send. One ffmpeg serves
 * one client and exits when that client leaves; `respawn` starts the next listener then, so
 * reconnecting clients find a server (as with a real multi-client server).
 */
export interface HttpFlvServer {
  port: number;
  /** http://127.0.0.1:port/live/name.flv (ffmpeg ignores the path). */
  url(name?: string): string;
  /** pid of the listening (or serving) ffmpeg, -1 while none runs. */
  readonly pid: number;
  /** Kills the server (an abrupt loss); no listener until `start`. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** Is a TCP socket LISTENing on 127.0.0.1:port? (Connecting would take the one client slot.) */
function listening(port: number): boolean {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const table = readFileSync('/proc/net/tcp', 'utf8').split('\n');
  return table.some((line) => {
    const cols = line.trim().split(/\s+/);
    return cols[1]?.endsWith(hexPort.trim()) && cols[3] === '0A';
  });
}

function ffmpegArgs(port: number): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-v', 'error', '-re'],
    ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '300'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '25'],
    ...['-c:a', 'aac', '-f', 'flv', '-listen', '1', `http://127.0.0.1:${port}/`],
  ];
}

export async function startHttpFlvServer(options: { respawn?: boolean } = {}): Promise<HttpFlvServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;
  let respawn = options.respawn ?? true;

  const launch = async (): Promise<void> => {
    const proc = spawn('ffmpeg', ffmpegArgs(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => {
      if (child !== proc) return;
      child = undefined;
      // The client left: listen for the next one.
      if (respawn && !stopped) void launch().catch(() => {});
    });
    const deadline = Date.now() + 10_000;
    while (!listening(port)) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`ffmpeg HTTP-FLV server exited at start: ${stderr}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`ffmpeg HTTP-FLV server not listening on ${port} within 10 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const kill = async (): Promise<void> => {
    respawn = false;
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  };

  await launch();
  return {
    port,
    url: (name = 'cam') => `http://127.0.0.1:${port}/live/${name}.flv`,
    get pid() {
      return child?.pid ?? -1;
    },
    kill,
    start: async () => {
      await kill();
      respawn = options.respawn ?? true;
      await launch();
    },
    stop: async () => {
      stopped = true;
      await kill();
    },
  };
}
