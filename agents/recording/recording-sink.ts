import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import type { OutputStatus } from '../streaming/output-status.js';
import { PipedFfmpegOutput } from '../streaming/piped-ffmpeg-output.js';
import { chooseContainer, extensionOf, recordingPlan } from './recording-plan.js';

const log = createLogger('recording-sink');

const mediaFlag = z.union([z.boolean(), z.object({}).loose()]).optional();

export const recordingSpecSchema = z
  .object({
    type: z.literal('recording'),
    container: z.enum(['mp4', 'mkv', 'webm', 'ts', 'auto']).default('auto'),
    /** File name without directory (default: the subscription id); the extension is added. */
    filename: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only')
      .refine((f) => f !== '.' && f !== '..', 'not a file name')
      .optional(),
    /** Absolute directory (default: the node's recording directory). */
    dir: z
      .string()
      .min(1)
      .refine((d) => isAbsolute(d) && !d.split('/').includes('..'), 'must be an absolute path without ..')
      .optional(),
    media: z.object({ audio: mediaFlag, video: mediaFlag }).loose().default({}),
  })
  .loose();

export interface RecordingNodeOptions {
  /** Default directory for recordings. */
  dir: string;
  /** Stop cleanly (status stopped, reason disk-full) when less than this is free. */
  minFreeBytes: number;
  /** How often free space is checked. */
  diskCheckMs?: number;
}

export type RecordingStatus = OutputStatus & { files?: string[] };

/**
 * The `recording` sink: the linked stream's audio and video, in sync, into one file through
 * ffmpeg. A codec change mid-recording continues in a new file part (`name-1.ext`). A full
 * disk (free space under the limit, or ENOSPC from ffmpeg) stops it cleanly with an event.
 */
export class RecordingSink implements MediaSink {
  readonly type = 'recording';
  readonly files: string[] = [];
  private readonly output: PipedFfmpegOutput;
  private readonly diskTimer: NodeJS.Timeout;

  constructor(
    readonly id: string,
    spec: z.output<typeof recordingSpecSchema>,
    private readonly options: RecordingNodeOptions,
    onStatus: (id: string, status: RecordingStatus) => void,
  ) {
    const dir = spec.dir ?? options.dir;
    const base = spec.filename ?? basename(id).replace(/[^A-Za-z0-9._-]/g, '_');
    this.output = new PipedFfmpegOutput({
      type: 'recording',
      id,
      media: { audio: spec.media.audio !== false, video: spec.media.video !== false },
      plan: (tracks, run) => {
        // Created on first use, not at node start: idle nodes leave no trace.
        mkdirSync(dir, { recursive: true });
        const container = chooseContainer(spec.container, tracks);
        const file = join(dir, `${base}${run > 0 ? `-${run}` : ''}.${extensionOf(container)}`);
        this.files.push(file);
        return recordingPlan(container, file, tracks);
      },
      retry: false,
      fatalReason: (stderr) => (/No space left on device|ENOSPC/i.test(stderr) ? 'disk-full' : undefined),
      stopGraceMs: 10_000,
      onStatus: (status) => onStatus(id, { ...status, files: [...this.files] }),
    });
    this.diskTimer = setInterval(() => void this.checkDisk(dir), options.diskCheckMs ?? 1000);
    this.diskTimer.unref();
  }

  get stopped(): boolean {
    return this.output.stopped;
  }

  get ffmpegPid(): number | undefined {
    return this.output.ffmpegPid;
  }

  onLinkup(streamId: string, feedback: (feedback: MediaFeedback) => void): void {
    this.output.onLinkup(streamId, feedback);
  }

  onCutoff(): void {
    this.output.onCutoff();
  }

  onFrame(frame: MediaFrame): void {
    this.output.onFrame(frame);
  }

  close(): void {
    clearInterval(this.diskTimer);
    this.output.close();
  }

  /** Resolves once ffmpeg has finished the file. */
  async stop(): Promise<void> {
    clearInterval(this.diskTimer);
    await this.output.stop('closed');
  }

  private async checkDisk(dir: string): Promise<void> {
    if (this.output.stopped || this.options.minFreeBytes <= 0 || this.files.length === 0) return;
    try {
      const s = await statfs(dir);
      const free = s.bavail * s.bsize;
      if (free < this.options.minFreeBytes) {
        log.warn({ id: this.id, free }, 'disk nearly full: stopping the recording');
        clearInterval(this.diskTimer);
        await this.output.stop('disk-full', `${free} bytes free`);
      }
    } catch (err) {
      log.warn({ id: this.id, err: (err as Error).message }, 'cannot check free disk space');
    }
  }
}

export function createRecordingSink(
  subscriptionId: string,
  spec: unknown,
  options: RecordingNodeOptions,
  onStatus: (id: string, status: RecordingStatus) => void,
): RecordingSink {
  const parsed = recordingSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `sink.${i.path.join('.')}: ${i.message}`);
    throw new ValidationError(`invalid sink: ${details.join('; ')}`, { data: details });
  }
  return new RecordingSink(subscriptionId, parsed.data, options, onStatus);
}
