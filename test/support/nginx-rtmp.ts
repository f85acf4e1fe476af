import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private nginx + libnginx-mod-rtmp on a loopback port for tests: `live` (records every
 * published stream to FLV under `recordDir`) and `hls` (HLS under `hlsDir`, also served over
 * HTTP on `httpPort`). Runs in the
 * foreground (daemon off, master_process off) with its own prefix, conf, pid and logs.
 */
export interface NginxRtmp {
  port: number;
  /** HTTP port serving `hlsDir` under /hls/. */
  httpPort: number;
  /** http://127.0.0.1:httpPort/hls/name.m3u8 */
  hlsUrl(name: string): string;
  prefix: string;
  recordDir: string;
  hlsDir: string;
  /** rtmp://127.0.0.1:port/app/name */
  url(app: 'live' | 'hls', name: string): string;
  /** FLV files recorded for stream `name`, oldest first. */
  recordings(name: string): string[];
  /** Stops nginx (SIGTERM, SIGKILL after 3 s); the prefix stays until `remove`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and prefix (after stop). */
  restart(): Promise<void>;
  /** Stops and deletes the prefix. */
  remove(): Promise<void>;
  log(): string;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function config(prefix: string, port: number, httpPort: number): string {
  return `load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events { worker_connections 256; }
http {
  access_log off;
  server {
    listen 127.0.0.1:${httpPort};
    location /hls/ { root ${prefix}; add_header Cache-Control no-cache; }
  }
}
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
    application live {
      live on;
      record all;
      record_path ${prefix}/rec;
      record_unique on;
    }
    application hls {
      live on;
      hls on;
      hls_path ${prefix}/hls;
      hls_fragment 1s;
      hls_playlist_length 6s;
    }
  }
}
`;
}

async function canConnect(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNginxRtmp(): Promise<NginxRtmp> {
  const prefix = mkdtempSync(join(tmpdir(), 'ms-nginx-rtmp-'));
  const recordDir = join(prefix, 'rec');
  const hlsDir = join(prefix, 'hls');
  for (const dir of [recordDir, hlsDir, join(prefix, 'logs')]) mkdirSync(dir, { recursive: true });
  let port = await freePort();
  let httpPort = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    writeFileSync(join(prefix, 'nginx.conf'), config(prefix, port, httpPort));
    const proc = spawn(
      'nginx',
      ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 5000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`nginx exited at start: ${stderr}`);
      }
      if (await canConnect(port)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`nginx did not listen on ${port} within 5 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (err) {
    // A port taken between freePort() and listen: one more try on another port.
    port = await freePort();
    httpPort = await freePort();
    try {
      await launch();
    } catch {
      await stop();
      rmSync(prefix, { recursive: true, force: true });
      throw err;
    }
  }

  return {
    get port() {
      return port;
    },
    get httpPort() {
      return httpPort;
    },
    hlsUrl: (name) => `http://127.0.0.1:${httpPort}/hls/${name}.m3u8`,
    prefix,
    recordDir,
    hlsDir,
    url: (app, name) => `rtmp://127.0.0.1:${port}/${app}/${name}`,
    recordings: (name) =>
      readdirSync(recordDir)
        .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.flv'))
        .sort()
        .map((f) => join(recordDir, f)),
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    remove: async () => {
      await stop();
      rmSync(prefix, { recursive: true, force: true });
    },
    log: () => {
      try {
        return readFileSync(join(prefix, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
}
