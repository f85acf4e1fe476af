import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * All-in-one mode: a random secret generated on first start and kept in `dataDir/<name>` (mode
 * 0600), so it survives restarts. Cluster mode sets secrets in its configuration instead.
 * Returns 32 random bytes as 64 hex characters.
 */
export function loadOrCreateLocalSecret(dataDir: string, name: string): string {
  const path = join(dataDir, name);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('hex');
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeFileSync(fd, `${secret}\n`);
    fsyncSync(fd);
    closeSync(fd);
    return secret;
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8').trim();
    throw err;
  }
}
