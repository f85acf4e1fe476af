/** Server side of the AMQP benchmark in its own process: serves `bench` on the broker `argv[2]`. */
import { AmqpBus } from '../../common/rpc/amqp-bus.js';

const url = process.argv[2];
if (!url) throw new Error('usage: amqp-bench-server <amqp url>');
const bus = await AmqpBus.connect({ url, connectionName: 'bench-server-process' });
await bus.serve('bench', { echo: (value: unknown) => value });
process.send?.('ready');
process.on('disconnect', () => {
  void bus.close().then(() => process.exit(0));
});
