import { createLogger } from '../../common/logger.js';
import type { MediaSink } from '../../common/media/media-endpoint.js';
import { KEYFRAME_REQUEST, type MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { type FfmpegPlan, FfmpegRun } from './ffmpeg-run.js';
import { type FeedTracks, MkvFrameFeed } from './mkv-frame-feed.js';
import type { OutputStatus } from './output-status.js';

const log = createLogger('piped-ffmpeg-output');

/** The plan for one ffmpeg run, and whether it transcodes (for the status event). */
export interface OutputPlan {
  ffmpeg: FfmpegPlan;
  transcode: { audio: boolean; video: boolean };
}

export interface PipedFfmpegOutputOptions {
  type: string;
  id: string;
  media: { audio: boolean; video: boolean };
  /** Builds the ffmpeg invocation once the tracks are known; `run` counts launches from 0. */
  plan(tracks: FeedTracks, run: number): OutputPlan;
  docType?: 'matroska' | 'webm';
  /** Retry after failures (streaming); off: the first failure stops the output (recording). */
  retry: false | BackoffOptions;
  /** A run that lasts this long counts as healthy: backoff resets, `active` is reported. */
  healthyAfterMs?: number;
  /** Ask the source for a keyframe this often (segmenters cut on keyframes when copying). */
  keyframeIntervalMs?: number;
  /** Maps a failed run's log to a final stop reason (e.g. disk-full); undefined: retryable. */
  fatalReason?(stderr: string): 'disk-full' | undefined;
  /** ffmpeg's stdin backlog beyond which non-key video is dropped until a keyframe. */
  maxBacklogBytes?: number;
  onStatus(status: OutputStatus): void;
  /** Stop: EOF and this long for ffmpeg to finish the output before SIGKILL. */
  stopGraceMs?: number;
}

/**
 * A MediaSink that muxes its linked stream into live Matroska and pipes it into ffmpeg,
 * which does the protocol/container work. Restarts ffmpeg with backoff on failure, survives
 * relinking to another stream without a restart when the codecs stay the same, and drops
 * video down to the next keyframe when ffmpeg falls behind.
 */
export class PipedFfmpegOutput implements MediaSink {
  readonly type: string;
  private feed: MkvFrameFeed | undefined;
  private run: FfmpegRun | undefined;
  private runs = 0;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private feedback: ((feedback: MediaFeedback) => void) | undefined;
  private awaitingKeyframe = false;
  private lastKeyframeRequest = Number.NEGATIVE_INFINITY;
  private stopping: Promise<void> | undefined;
  private state: 'idle' | 'running' | 'waiting' | 'stopped' = 'idle';
  private streamId: string | undefined;
  framesDropped = 0;

  constructor(private readonly options: PipedFfmpegOutputOptions) {
    this.type = options.type;
    this.backoff = new Backoff(options.retry === false ? DEFAULT_BACKOFF : options.retry);
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  get ffmpegPid(): number | undefined {
    return this.run?.pid;
  }

  get runCount(): number {
    return this.runs;
  }

  onLinkup(streamId: string, feedback: (feedback: MediaFeedback) => void): void {
    const previous = this.streamId;
    this.streamId = streamId;
    this.feedback = feedback;
    if (this.feed && previous !== undefined && previous !== streamId) {
      this.feed.resetTimeline();
      this.options.onStatus({ status: 'switched', streamId, restarted: false });
    }
    if (this.options.keyframeIntervalMs && !this.keyframeTimer) {
      this.keyframeTimer = setInterval(
        () => this.feedback?.(KEYFRAME_REQUEST),
        this.options.keyframeIntervalMs,
      );
    }
  }

  onCutoff(): void {
    this.feedback = undefined;
  }

  onFrame(frame: MediaFrame): void {
    if (this.state === 'stopped' || this.state === 'waiting') return;
    if (this.run && this.run.backlog > (this.options.maxBacklogBytes ?? 4 << 20)) {
      // ffmpeg cannot keep up (slow network, slow encoder): keep audio, resync video.
      if (frame.kind === 'video' || this.run.backlog > 2 * (this.options.maxBacklogBytes ?? 4 << 20)) {
        this.dropVideoUntilKeyframe();
        return;
      }
    }
    if (frame.kind === 'video' && this.awaitingKeyframe) {
      if (!frame.keyframe) {
        this.framesDropped++;
        return;
      }
      this.awaitingKeyframe = false;
    }
    this.feed ??= this.newFeed();
    const result = this.feed.push(frame);
    if (result === 'incompatible') {
      // The new source's codec cannot continue this container: restart ffmpeg at once.
      log.info({ id: this.options.id, codec: frame.codec }, 'codec changed: restarting ffmpeg');
      if (this.streamId)
        this.options.onStatus({ status: 'switched', streamId: this.streamId, restarted: true });
      // Streams: kill (two publishers on one URL collide); files: finish the old part.
      this.endRun(this.options.retry !== false);
      this.state = 'idle';
      this.feed = this.newFeed();
      this.feed.push(frame);
      this.requestKeyframe();
    } else if (result === 'dropped' && frame.kind === 'video' && !frame.keyframe) {
      this.requestKeyframe();
    }
  }

  close(): void {
    void this.stop('closed');
  }

  /** Ends the output: ffmpeg gets EOF and finishes its file/stream. */
  stop(reason: 'closed' | 'disk-full' | 'failed' = 'closed', detail?: string): Promise<void> {
    // Every caller waits for the same end (the node's unsubscribe waits for the file).
    this.stopping ??= this.finish(reason, detail);
    return this.stopping;
  }

  private async finish(reason: 'closed' | 'disk-full' | 'failed', detail?: string): Promise<void> {
    this.state = 'stopped';
    this.clearTimers();
    const run = this.run;
    this.run = undefined;
    this.feed = undefined;
    if (run) await run.stop(this.options.stopGraceMs ?? 5000);
    this.options.onStatus({ status: 'stopped', reason, detail });
  }

  private newFeed(): MkvFrameFeed {
    return new MkvFrameFeed((chunks) => this.write(chunks), {
      audio: this.options.media.audio,
      video: this.options.media.video,
      docType: this.options.docType,
    });
  }

  private write(chunks: Buffer[]): void {
    if (!this.run) {
      if (this.state !== 'idle' || !this.feed?.tracks) return;
      this.startRun(this.feed.tracks);
    }
    this.run?.write(chunks);
  }

  private startRun(tracks: FeedTracks): void {
    const attempt = this.runs++;
    let plan: OutputPlan;
    try {
      plan = this.options.plan(tracks, attempt);
    } catch (err) {
      void this.stop('failed', (err as Error).message);
      return;
    }
    const run = new FfmpegRun(plan.ffmpeg);
    this.run = run;
    this.state = 'running';
    this.options.onStatus({
      status: 'started',
      attempt,
      tracks,
      transcode: plan.transcode,
      target: plan.ffmpeg.target ?? '',
    });
    this.healthyTimer = setTimeout(() => {
      if (this.run !== run) return;
      this.backoff.reset();
      this.options.onStatus({ status: 'active', attempt });
    }, this.options.healthyAfterMs ?? 2000);
    run.on('exit', (error, stderr) => this.onRunExit(run, attempt, error, stderr));
  }

  private onRunExit(run: FfmpegRun, attempt: number, error: Error | undefined, stderr: string): void {
    if (this.run !== run || this.state === 'stopped') return;
    this.run = undefined;
    this.feed = undefined;
    clearTimeout(this.healthyTimer);
    const reason = firstLine(error?.message ?? 'ffmpeg exited') + (stderr ? ` | ${lastLine(stderr)}` : '');
    log.warn({ id: this.options.id, attempt, reason }, 'ffmpeg ended');
    const fatal = this.options.fatalReason?.(`${error?.message ?? ''}\n${stderr}`);
    if (fatal) {
      void this.stop(fatal, reason);
      return;
    }
    if (this.options.retry === false) {
      void this.stop('failed', reason);
      return;
    }
    const delayMs = this.backoff.next();
    this.state = 'waiting';
    this.options.onStatus({ status: 'retrying', attempt: attempt + 1, delayMs, reason });
    this.retryTimer = setTimeout(() => {
      if (this.state !== 'waiting') return;
      this.state = 'idle';
      this.awaitingKeyframe = true;
      this.requestKeyframe();
    }, delayMs);
  }

  private endRun(kill: boolean): void {
    const run = this.run;
    this.run = undefined;
    clearTimeout(this.healthyTimer);
    if (run) {
      if (kill) run.kill();
      else void run.stop(this.options.stopGraceMs ?? 5000);
    }
  }

  private dropVideoUntilKeyframe(): void {
    this.framesDropped++;
    if (!this.awaitingKeyframe) {
      this.awaitingKeyframe = true;
      this.requestKeyframe();
    }
  }

  /** At most one request per second: a source is asked, not flooded, while we wait. */
  private requestKeyframe(): void {
    const now = performance.now();
    if (now - this.lastKeyframeRequest < 1000) return;
    this.lastKeyframeRequest = now;
    this.feedback?.(KEYFRAME_REQUEST);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.healthyTimer);
    clearInterval(this.keyframeTimer);
    this.keyframeTimer = undefined;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
