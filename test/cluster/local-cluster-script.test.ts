/** scripts/local-cluster.sh: one process per part over a private RabbitMQ, stopped by pid. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLUSTER_MANAGER_ID, type WorkerView } from '../../cluster-manager/protocol.js';
import { AmqpBus } from '../../common/rpc/amqp-bus.js';
import { waitUntil } from '../support/wait-until.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['scripts/local-cluster.sh', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('scripts/local-cluster.sh', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mediaspread-local-cluster-'));
  let env: NodeJS.ProcessEnv = {};
  let pids: number[] = [];

  after(async () => {
    await run(['stop'], env);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('starts every part, which all join one cluster, and stops them all', async () => {
    const port = await freePort();
    env = {
      MEDIASPREAD_CLUSTER_DIR: dir,
      MEDIASPREAD_AMQP_PORT: String(port),
      MEDIASPREAD_EPMD_PORT: String(await freePort()),
      MEDIASPREAD_SKIP_SETUP: '1',
      MEDIASPREAD_LOG_LEVEL: 'warn',
      // Any free ports: other tests run at the same time.
      MEDIASPREAD__portal__port: '0',
      MEDIASPREAD__managementApi__port: '0',
    };
    const started = await run(['start', '--bare'], env);
    pids = readFileSync(join(dir, 'pids'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[0]));
    assert.equal(started.code, 0, started.out);
    assert.match(started.out, /MEDIASPREAD_SERVICE_KEY=/, 'super service created once');
    const bus = await AmqpBus.connect({
      url: `amqp://guest:guest@127.0.0.1:${port}`,
      defaultTimeoutMs: 3000,
    });
    try {
      const purposes = ['portal', 'conference', 'webrtc', 'streaming', 'recording', 'audio', 'video'];
      await waitUntil(
        async () => {
          const workers = await bus.call<WorkerView[]>(CLUSTER_MANAGER_ID, 'getWorkers', []).catch(() => []);
          return purposes.every((p) => workers.some((w) => w.purpose === p));
        },
        30_000,
        'every agent joined',
      );
      const status = await run(['status'], env);
      assert.doesNotMatch(status.out, /^down/m, status.out);
    } finally {
      await bus.close();
    }
    const stopped = await run(['stop'], env);
    assert.equal(stopped.code, 0, stopped.out);
    await waitUntil(() => pids.every((pid) => !alive(pid)), 15_000, 'every started process gone');
  });
});
