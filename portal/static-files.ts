import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.ivf': 'application/octet-stream',
};

/**
 * Serves files under `root` for GET/HEAD. The URL path is decoded and resolved; anything that
 * lands outside the root (`..`, encoded separators, symlinks out of it) is a 404, as is a
 * dot file.
 */
export function createStaticHandler(root: string): (req: IncomingMessage, res: ServerResponse) => void {
  const rootReal = realpath(root);
  return (req, res) => {
    void serve(req, res).catch(() => send(res, 500, 'internal error'));
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    const base = await rootReal;
    const file = await resolveInside(base, req.url ?? '/');
    if (!file) return send(res, 404, 'not found');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return send(res, 404, 'not found');
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': info.size,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }
}

/** The real path of the requested file if it is inside `base`, else undefined. */
async function resolveInside(base: string, url: string): Promise<string | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\')) return undefined;
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p.startsWith('.'))) return undefined;
  if (path.endsWith('/')) parts.push('index.html');
  const candidate = join(base, ...parts);
  const real = await realpath(candidate).catch(() => undefined);
  if (!real) return undefined;
  if (real !== base && !real.startsWith(base + sep)) return undefined;
  // A directory named without a trailing slash: serve its index.
  const info = await stat(real).catch(() => undefined);
  if (info?.isDirectory()) {
    return path.endsWith('/') ? undefined : resolveInside(base, `${url.split('?')[0]}/`);
  }
  return real;
}

function send(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
