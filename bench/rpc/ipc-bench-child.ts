/** Child side of the IPC benchmark: serves `argv[2]` over its parent's bus, then says ready. */
import { createChildBus } from '../../common/rpc/create-bus.js';

const id = process.argv[2];
const readyId = process.argv[3];
if (!id || !readyId) throw new Error('usage: ipc-bench-child <id> <readyId>');
const bus = createChildBus();
await bus.serve(id, { echo: (value: unknown) => value });
await bus.call(readyId, 'ready', []);
