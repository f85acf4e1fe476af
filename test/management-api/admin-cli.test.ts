import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterManager } from '../../cluster-manager/cluster-manager-service.js';
import { runClusterManager } from '../../cluster-manager/main.js';
import { TokenService } from '../../common/auth/token-service.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { openStore } from '../../common/store/open-store.js';
import type { Store } from '../../common/store/store.js';
import { storeSchema } from '../../common/store/store-config.js';
import { type AdminIo, runAdminCommand } from '../../management-api/admin-cli.js';
import { runManagementApi } from '../../management-api/main.js';

function capture(env: NodeJS.ProcessEnv = {}): AdminIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
  };
  return io;
}

describe('admin CLI', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-admin-'));
  const env = { MEDIASPREAD__store__dataDir: dataDir };
  let serviceId = '';
  let serviceKey = '';
  let store: Store | undefined;
  let bus: LocalBus | undefined;
  let api: { url: string; close(): Promise<void> } | undefined;
  let manager: ClusterManager | undefined;

  after(async () => {
    await api?.close();
    await store?.close();
    await manager?.stop();
    await bus?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('init creates the super service once and prints its id and key', async () => {
    const io = capture(env);
    assert.equal(await runAdminCommand(['init'], io), 0, io.err);
    serviceId = /MEDIASPREAD_SERVICE_ID=(\S+)/.exec(io.out)?.[1] ?? '';
    serviceKey = /MEDIASPREAD_SERVICE_KEY=(\S+)/.exec(io.out)?.[1] ?? '';
    assert.match(serviceId, /^[0-9a-f]{24}$/);
    assert.ok(serviceKey.length >= 32);
    const again = capture(env);
    assert.equal(await runAdminCommand(['init'], again), 1);
    assert.match(again.err, /already exists/);
    assert.ok(
      !again.err.includes(serviceKey) && !again.out.includes(serviceKey),
      'the key is not shown again',
    );
  });

  describe('API commands', () => {
    let apiEnv: NodeJS.ProcessEnv;
    before(async () => {
      bus = new LocalBus();
      manager = await runClusterManager(bus, { recoveryTimeMs: 0 });
      store = await openStore(storeSchema.parse({ dataDir }));
      api = await runManagementApi({
        bus,
        store,
        tokens: new TokenService({ store, key: 'k' }),
        config: { port: 0 },
      });
      apiEnv = {
        MEDIASPREAD_SERVICE_ID: serviceId,
        MEDIASPREAD_SERVICE_KEY: serviceKey,
        MEDIASPREAD_API_URL: api.url,
      };
    });

    it('rooms create, list and delete through the REST API', async () => {
      const created = capture(apiEnv);
      assert.equal(await runAdminCommand(['rooms', 'create', 'lobby'], created), 0, created.err);
      const id = created.out.trim();
      assert.match(id, /^[0-9a-f]{24}$/);
      const listed = capture(apiEnv);
      assert.equal(await runAdminCommand(['rooms', 'list'], listed), 0, listed.err);
      assert.match(listed.out, new RegExp(`${id}\\s+lobby`));
      const deleted = capture(apiEnv);
      assert.equal(await runAdminCommand(['rooms', 'delete', id], deleted), 0, deleted.err);
      const gone = capture(apiEnv);
      assert.equal(await runAdminCommand(['rooms', 'delete', id], gone), 1);
      assert.match(gone.err, /404/);
    });

    it('token: the server answers (503 here: no portal registered), and the CLI reports it', async () => {
      const created = capture(apiEnv);
      await runAdminCommand(['rooms', 'create', 'r'], created);
      const io = capture(apiEnv);
      const code = await runAdminCommand(
        ['token', created.out.trim(), '--user', 'u', '--role', 'presenter'],
        io,
      );
      assert.equal(code, 1);
      assert.match(io.err, /503 no portal/);
    });

    it('flags override the environment; a wrong key is refused', async () => {
      const io = capture(apiEnv);
      const code = await runAdminCommand(['rooms', 'list', '--service-key', 'wrong-key'], io);
      assert.equal(code, 1);
      assert.match(io.err, /401/);
    });
  });

  it('usage errors exit 2 with the usage text', async () => {
    for (const argv of [
      ['bogus'],
      ['rooms'],
      ['rooms', 'create'],
      ['token', 'r1'],
      ['rooms', 'list', '--nope', 'x'],
    ]) {
      const io = capture({ MEDIASPREAD_SERVICE_ID: 'a', MEDIASPREAD_SERVICE_KEY: 'b' });
      assert.equal(await runAdminCommand(argv, io), 2, argv.join(' '));
      assert.match(io.err, /usage: mediaspread admin/);
    }
    const help = capture();
    assert.equal(await runAdminCommand(['help'], help), 0);
    assert.match(help.out, /rooms create NAME/);
    const noCreds = capture({});
    assert.equal(await runAdminCommand(['rooms', 'list'], noCreds), 2);
    assert.match(noCreds.err, /service id and key/);
  });
});
