import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';

/**
 * Runs ffmpeg to send a short encoded test pattern as RTP to a UDP socket on 127.0.0.1 and
 * collects the datagrams. Everything started here is stopped by close().
 */
export class FfmpegRtpSource {
  readonly packets: Buffer[] = [];
  private socket: Socket | undefined;
  private child: ChildProcess | undefined;
  stderr = '';

  async run(inputArgs: string[], codecArgs: string[], timeoutMs = 30_000): Promise<Buffer[]> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg) => {
      if (this.packets.length < 100_000) this.packets.push(msg);
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    try {
      socket.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      // capped by net.core.rmem_max: the default is enough for these small streams
    }
    const port = socket.address().port;
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...inputArgs, ...codecArgs];
    args.push('-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`);
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 10_000) this.stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    this.child = undefined;
    if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${this.stderr}`);
    // Let the last datagrams drain from the socket.
    await new Promise((r) => setTimeout(r, 200));
    return this.packets;
  }

  close(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    this.child = undefined;
    this.socket?.close();
    this.socket = undefined;
  }
}

/** Runs ffmpeg with these arguments (bounded); rejects on a non-zero exit. */
export async function runFfmpeg(args: string[], timeoutMs = 30_000): Promise<void> {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr}`);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Decodes a file with ffmpeg; resolves with its exit code and error output. */
export async function ffmpegDecode(
  path: string,
  format: string,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stderr: string; frames: number }> {
  const child = spawn(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'error', '-f', format, '-i', path, '-f', 'framemd5', '-'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    const frames = stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
    return { code, stderr, frames };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
