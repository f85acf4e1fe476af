import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';

/**
 * A private RabbitMQ broker for one test or benchmark: its own temp dir (HOME, hence its own
 * Erlang cookie), node name, AMQP port, distribution port and epmd (ERL_EPMD_PORT), so that
 * several can run at once and each can be torn down by pid without touching the others.
 */
export interface PrivateRabbit {
  readonly url: string;
  readonly port: number;
  readonly nodeName: string;
  /** Milliseconds the last (re)start took until the broker accepted AMQP connections. */
  readonly startMs: number;
  /** Runs rabbitmqctl against this broker; resolves with its stdout. */
  ctl(args: string[]): Promise<string>;
  /** Stops the broker (same port, node and data afterwards on `start`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const READY_TIMEOUT_MS = 60_000;

export async function startPrivateRabbit(): Promise<PrivateRabbit> {
  const dir = await mkdtemp(join(tmpdir(), 'mediaspread-rabbit-'));
  const [port, distPort, epmdPort] = await freePorts(3);
  const nodeName = `rabbit-${process.pid}-${Math.random().toString(36).slice(2, 8)}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: dir,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;

  // Our own epmd in the foreground, so it is our child and dies by its pid.
  const epmd = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    env,
    stdio: 'ignore',
  });
  let broker: ChildProcess | undefined;
  let startMs = 0;
  let stopped = false;

  const killAll = (): void => {
    if (broker?.pid && broker.exitCode === null && broker.signalCode === null) {
      killGroup(broker.pid);
    }
    if (epmd.pid && epmd.exitCode === null && epmd.signalCode === null) epmd.kill('SIGKILL');
  };
  // Last resort if the test process dies without calling stop().
  process.once('exit', killAll);

  const ctl = (args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        `${RABBIT_BIN}/rabbitmqctl`,
        ['-n', nodeName, ...args],
        { env, timeout: 30_000 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });

  const startBroker = async (): Promise<void> => {
    const began = performance.now();
    const logFd = openSync(join(dir, 'server.out'), 'a');
    // Own process group: the start script, beam.smp and its helpers all die with one kill.
    broker = spawn(`${RABBIT_BIN}/rabbitmq-server`, [], {
      env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const child = broker;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`rabbitmq-server exited early (code ${code}); see ${dir}`)),
      ),
    );
    exited.catch(() => {});
    await Promise.race([waitForAmqp(url, READY_TIMEOUT_MS), exited]);
    startMs = performance.now() - began;
  };

  const stopBroker = async (): Promise<void> => {
    const child = broker;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await ctl(['shutdown']).catch(() => {});
    // The shutdown waits for the node to stop; whatever is left of the group goes by pid.
    const timer = setTimeout(() => killGroup(child.pid!), 5000);
    await gone;
    clearTimeout(timer);
    killGroup(child.pid);
  };

  try {
    await startBroker();
  } catch (err) {
    killAll();
    process.off('exit', killAll);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    port,
    nodeName,
    get startMs() {
      return startMs;
    },
    ctl,
    restart: async () => {
      await stopBroker();
      await startBroker();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopBroker();
      killAll();
      process.off('exit', killAll);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function waitForAmqp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await connect(url, { noDelay: true, timeout: 2000 });
      await conn.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`RabbitMQ not ready after ${timeoutMs} ms: ${String(err)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
