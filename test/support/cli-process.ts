import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/launcher/cli.js, the `mediaspread` command as installed. */
export const CLI = fileURLToPath(new URL('../../launcher/cli.js', import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves when the output contains `text` (rejects after timeoutMs or on exit). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, MEDIASPREAD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    waitFor(text, timeoutMs = 20_000) {
      const matches = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (matches()) done(resolve);
          else if (gone())
            done(() => reject(new Error(`process exited before printing ${text}:\n${out.slice(-2000)}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for ${text}:\n${out.slice(-2000)}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Writes a TOML config into a fresh temp dir and returns its path. */
export function writeTempConfig(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mediaspread-config-'));
  const file = join(dir, 'mediaspread.toml');
  writeFileSync(file, toml);
  return file;
}
