import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../common/store/open-store.js';
import { storeSchema } from '../../common/store/store-config.js';
import { ManagementApiClient } from '../../management-api/api-client.js';
import { ServicesRepository } from '../../management-api/services-repository.js';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'api-server-process.js');
const ROUNDS = 3;
const WRITERS = 8;
/** Kill after this many acknowledged writes in a round (bounded by MAX_REQUESTS and time too). */
const KILL_AFTER_ACKS = 120;
const MAX_REQUESTS_PER_ROUND = 3000;

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

const children = new Set<ChildProcess>();

function startServer(dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [SERVER, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MEDIASPREAD_LOG_LEVEL: 'warn' },
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server process did not start within 15 s')), 15_000);
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const match = /"url":"([^"]+)"/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve({ child, url: match[1] as string, exited });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited early (${code})`));
    });
  });
}

async function listAll(client: ManagementApiClient): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; page <= 100; page++) {
    const res = await client.requestOk('GET', `/v1/rooms?page=${page}&per_page=500`);
    const rooms = res.json as Array<{ _id: string }>;
    ids.push(...rooms.map((r) => r._id));
    if (rooms.length < 500) return ids;
  }
  throw new Error('more than 50000 rooms: runaway test');
}

describe('management API process killed with SIGKILL during writes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-crash-'));
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts with every acknowledged room present, round after round', { timeout: 120_000 }, async () => {
    const setup = await openStore(storeSchema.parse({ dataDir }));
    const service = await new ServicesRepository(setup).create({ name: 'crash' });
    await setup.close();

    const acked = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startServer(dataDir);
      const client = new ManagementApiClient({
        url: server.url,
        serviceId: service._id,
        serviceKey: service.key,
      });
      const before = await listAll(client);
      for (const id of acked)
        assert.ok(before.includes(id), `round ${round}: acknowledged room ${id} is missing`);

      let sent = 0;
      let roundAcks = 0;
      let killed = false;
      const deadline = Date.now() + 30_000;
      const writer = async (w: number) => {
        while (!killed && sent < MAX_REQUESTS_PER_ROUND && Date.now() < deadline) {
          sent++;
          try {
            const res = await client.request('POST', '/v1/rooms', { name: `r${round}-w${w}-${sent}` });
            if (res.status === 200) {
              acked.add((res.json as { _id: string })._id);
              roundAcks++;
            }
          } catch {
            return; // connection refused or reset: the server is gone
          }
          if (!killed && roundAcks >= KILL_AFTER_ACKS) {
            killed = true;
            server.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
      if (!killed) server.child.kill('SIGKILL');
      await server.exited;
      assert.ok(roundAcks >= KILL_AFTER_ACKS, `round ${round}: only ${roundAcks} writes acknowledged`);
    }

    const final = await startServer(dataDir);
    try {
      const client = new ManagementApiClient({
        url: final.url,
        serviceId: service._id,
        serviceKey: service.key,
      });
      const ids = await listAll(client);
      assert.equal(new Set(ids).size, ids.length, 'no duplicates');
      const missing = [...acked].filter((id) => !ids.includes(id));
      assert.deepEqual(missing, [], 'every acknowledged write survived');
      // Writes still in flight at the kill may or may not be there, but nothing else is.
      assert.ok(ids.length >= acked.size && ids.length <= acked.size + ROUNDS * WRITERS);
    } finally {
      final.child.kill('SIGTERM');
      await final.exited;
    }
  });
});
