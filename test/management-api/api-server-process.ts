/**
 * A management API in its own process on the embedded store in argv[2], for the kill -9 test.
 * Prints one JSON line `{"url": ...}` when listening; SIGTERM stops it cleanly.
 */
import { TokenService } from '../../common/auth/token-service.js';
import { configureLogging } from '../../common/logger.js';
import { LocalBus } from '../../common/rpc/local-bus.js';
import { openStore } from '../../common/store/open-store.js';
import { storeSchema } from '../../common/store/store-config.js';
import { runManagementApi } from '../../management-api/main.js';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: api-server-process DATA_DIR\n');
  process.exit(2);
}
// Logs go to stderr: stdout carries only the ready line.
configureLogging({ destination: 2 });
const bus = new LocalBus();
const store = await openStore(storeSchema.parse({ dataDir }));
const tokens = new TokenService({ store, key: 'crash-test-token-key' });
const api = await runManagementApi({ bus, store, tokens, config: { port: 0 } });
process.stdout.write(`${JSON.stringify({ url: api.url, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void (async () => {
    await api.close();
    await store.close();
    await bus.close();
    process.exit(0);
  })();
});
