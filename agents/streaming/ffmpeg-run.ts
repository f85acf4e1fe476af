import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { createLogger } from '../../common/logger.js';

const log = createLogger('ffmpeg-run');

/** How one ffmpeg process is invoked (everything but the pipes). */
export interface FfmpegPlan {
  /** Input: a URL/file, or omitted when we write Matroska into stdin. */
  input?: string;
  inputFormat?: string;
  inputOptions: string[];
  outputOptions: string[];
  format: string;
  /** Output URL/file, or omitted when ffmpeg writes to stdout (read with `output`). */
  target?: string;
}

export interface FfmpegRunEvents {
  /** ffmpeg ended: `error` unless it exited 0 after end(). `stderr` is its last lines. */
  exit: [error: Error | undefined, stderr: string];
  /** A line of ffmpeg's log (warnings and errors only: -loglevel warning). */
  log: [line: string];
}

/**
 * One ffmpeg process driven through fluent-ffmpeg: stdin is a PassThrough we write Matroska
 * into (sinks) or stdout a stream we read (sources). Stops gracefully (EOF → ffmpeg writes its
 * trailer) or by SIGKILL after a grace period.
 */
export class FfmpegRun extends EventEmitter<FfmpegRunEvents> {
  private readonly command: ffmpeg.FfmpegCommand;
  private readonly stdin: PassThrough | undefined;
  /** ffmpeg's stdout when the plan has no target. */
  readonly output: Readable | undefined;
  private exited = false;
  private readonly exitPromise: Promise<void>;
  private tail: string[] = [];

  constructor(readonly plan: FfmpegPlan) {
    super();
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
    const command = ffmpeg({ stdoutLines: 50 });
    if (plan.input === undefined) {
      this.stdin = new PassThrough({ highWaterMark: 1 << 20 });
      command.input(this.stdin);
    } else {
      command.input(plan.input);
    }
    if (plan.inputFormat) command.inputFormat(plan.inputFormat);
    // -nostdin must not be given with a stdin input; the global flags go first.
    command.inputOptions([
      ...(plan.input === undefined ? args.filter((a) => a !== '-nostdin') : args),
      ...plan.inputOptions,
    ]);
    command.outputOptions(plan.outputOptions).format(plan.format);
    this.exitPromise = new Promise((resolve) => {
      const done = (error: Error | undefined) => {
        if (this.exited) return;
        this.exited = true;
        resolve();
        this.emit('exit', error, this.tail.join('\n'));
      };
      command.on('start', (line: string) => log.debug({ command: line }, 'ffmpeg started'));
      command.on('stderr', (line: string) => {
        this.tail.push(line);
        if (this.tail.length > 20) this.tail.shift();
        this.emit('log', line);
      });
      command.on('error', (err: Error) => done(err));
      command.on('end', () => done(undefined));
    });
    this.command = command;
    if (plan.target !== undefined) {
      command.output(plan.target);
      command.run();
    } else {
      this.output = command.pipe(new PassThrough({ highWaterMark: 1 << 20 }), { end: true }) as PassThrough;
    }
  }

  get pid(): number | undefined {
    return (this.command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc?.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Bytes written but not yet taken by ffmpeg. */
  get backlog(): number {
    return this.stdin?.writableLength ?? 0;
  }

  write(chunks: readonly Buffer[]): void {
    if (this.exited || !this.stdin || this.stdin.writableEnded) return;
    for (const c of chunks) this.stdin.write(c);
  }

  /** EOF on stdin (ffmpeg finishes the output), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    if (this.stdin) this.stdin.end();
    else this.command.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.command.kill('SIGKILL');
  }

  exited$(): Promise<void> {
    return this.exitPromise;
  }
}
