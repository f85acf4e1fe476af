import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import type { MediaSource } from '../../common/media/media-endpoint.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { Backoff } from './backoff.js';
import { FfmpegRun } from './ffmpeg-run.js';
import { type ExtractedMedia, MkvFrameExtractor } from './mkv-frame-extractor.js';
import { COPY_AUDIO, COPY_VIDEO, type StreamingInInput, streamingInPlan } from './streaming-in-plan.js';

const log = createLogger('streaming-in');

const mediaWant = z.union([z.boolean(), z.literal('auto')]).default('auto');

export const streamingInSpecSchema = z
  .object({
    type: z.literal('streaming-in'),
    url: z.string().min(1).max(2048),
    transportProtocol: z.enum(['tcp', 'udp']).default('tcp'),
    bufferSize: z
      .number()
      .int()
      .positive()
      .max(64 << 20)
      .optional(),
    media: z.object({ audio: mediaWant, video: mediaWant }).loose().default({ audio: 'auto', video: 'auto' }),
    retry: z
      .object({
        initialMs: z.number().int().positive().default(500),
        maxMs: z.number().int().positive().default(10_000),
      })
      .optional(),
    /** Give up (status failed) when the first this many attempts never produce media. */
    maxInitialAttempts: z.number().int().positive().default(5),
    /** No data for this long while running: the source is lost, reconnect. */
    stallTimeoutMs: z.number().int().positive().default(10_000),
  })
  .loose();

export type StreamingInSpec = z.output<typeof streamingInSpecSchema>;

/**
 * Status events of a streaming-in source: `connecting` per ffmpeg launch, `connected` with
 * the media once its tracks are known (and again, as a stream update, when they change after
 * a reconnect), `reconnecting` after a loss, `ended` when a file input is done, `failed`
 * when it never worked.
 */
export type StreamingInStatus =
  | { status: 'connecting'; attempt: number }
  | {
      status: 'connected';
      attempt: number;
      media: ExtractedMedia;
      transcode: { audio: boolean; video: boolean };
    }
  | { status: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { status: 'ended' }
  | { status: 'failed'; reason: string };

/** ffmpeg could read the input but not write it as Matroska: a codec problem, not a lost source. */
const MUX_FAILURE = /Could not write header|Error initializing output stream|incorrect codec parameters/;

const URL_PATTERN = /^(rtsps?|rtmps?|https?):\/\/[^\s]+$/;

/**
 * ffmpeg names the input URL in its errors, camera passwords included (rtsp://user:pass@…);
 * reasons go to status events, the room controller and logs, so the user info is masked.
 */
export function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/**
 * A MediaSource that pulls RTSP/RTMP/HLS/HTTP-FLV (or a file) through ffmpeg as live
 * Matroska and turns it into MediaFrames. Codecs that fit are copied; others are transcoded
 * from the next run on (H.264 video, Opus audio). Loss → reconnect with backoff; timestamps
 * continue monotonically across reconnects so subscribers see one stream.
 */
export class StreamingInSource implements MediaSource {
  readonly type = 'streaming-in';
  private deliver: ((frame: MediaFrame) => void) | undefined;
  private run: FfmpegRun | undefined;
  private attempt = 0;
  private everConnected = false;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly transcode = { audio: false, video: false };
  private readonly input: StreamingInInput;
  private readonly startedAt = performance.now();
  /** Output timeline (ms): each run is shifted to continue after the previous one. */
  private lastOutMs = -1;
  private runOffsetMs: number | undefined;
  private lastData = 0;
  framesDelivered = 0;
  keyframeRequests = 0;

  constructor(
    readonly streamId: string,
    private readonly spec: StreamingInSpec,
    private readonly onStatus: (status: StreamingInStatus) => void,
  ) {
    this.backoff = new Backoff({
      initialMs: spec.retry?.initialMs ?? 500,
      maxMs: spec.retry?.maxMs ?? 10_000,
      jitter: 0.2,
    });
    const isFile = isAbsolute(spec.url);
    this.input = {
      url: spec.url,
      transportProtocol: spec.transportProtocol,
      bufferSize: spec.bufferSize,
      audio: spec.media.audio,
      video: spec.media.video,
      isFile,
    };
  }

  get ffmpegPid(): number | undefined {
    return this.run?.pid;
  }

  start(deliver: (frame: MediaFrame) => void): void {
    this.deliver = deliver;
    this.launch();
  }

  onFeedback(feedback: MediaFeedback): void {
    // Copying, keyframes come at the source's GOP; nothing to force here.
    if (feedback.type === 'keyframe-request') this.keyframeRequests++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.stallTimer);
    const run = this.run;
    this.run = undefined;
    run?.kill();
    this.deliver = undefined;
  }

  private launch(): void {
    if (this.closed) return;
    const attempt = this.attempt++;
    const run = new FfmpegRun(streamingInPlan(this.input, this.transcode));
    this.run = run;
    this.runOffsetMs = undefined;
    this.lastData = performance.now();
    this.onStatus({ status: 'connecting', attempt });
    let restartForCodecs = false;
    let tracksSeen = false;
    const extractor = new MkvFrameExtractor(
      (frame) => {
        if (!restartForCodecs) this.onFrame(run, frame);
      },
      (media, unsupported) => {
        tracksSeen = true;
        // A track the extractor cannot carry at all (MJPEG, MPEG-4 ASP, G.711 in ACM…) needs
        // transcoding as much as one it carries but rooms do not take (AAC).
        const fits = (codec: string | undefined, copyable: readonly string[]) =>
          codec === undefined || copyable.includes(codec);
        const needVideo =
          (!fits(media.video?.codec, COPY_VIDEO) || unsupported.video !== undefined) && !this.transcode.video;
        const needAudio =
          (!fits(media.audio?.codec, COPY_AUDIO) || unsupported.audio !== undefined) && !this.transcode.audio;
        if (needVideo || needAudio) {
          this.transcode.video ||= needVideo;
          this.transcode.audio ||= needAudio;
          restartForCodecs = true;
          log.info({ streamId: this.streamId, media, unsupported }, 'source codecs do not fit: transcoding');
          run.kill();
          return;
        }
        this.everConnected = true;
        this.onStatus({ status: 'connected', attempt, media, transcode: { ...this.transcode } });
      },
    );
    run.output?.on('data', (chunk: Buffer) => {
      if (this.run !== run) return;
      this.lastData = performance.now();
      try {
        extractor.push(chunk);
      } catch (err) {
        log.warn({ streamId: this.streamId, err: (err as Error).message }, 'bad Matroska from ffmpeg');
        run.kill();
      }
    });
    clearInterval(this.stallTimer);
    this.stallTimer = setInterval(
      () => {
        if (this.run === run && performance.now() - this.lastData > this.spec.stallTimeoutMs) {
          log.warn({ streamId: this.streamId }, 'source stalled');
          run.kill();
        }
      },
      Math.min(1000, this.spec.stallTimeoutMs),
    );
    run.on('exit', (error, stderr) => {
      if (this.run !== run || this.closed) return;
      this.run = undefined;
      clearInterval(this.stallTimer);
      if (!tracksSeen && !restartForCodecs && MUX_FAILURE.test(`${error?.message ?? ''}\n${stderr}`)) {
        // Copying failed before any track came out (e.g. ADTS AAC from MPEG-TS has no
        // configuration Matroska accepts): transcode audio, then video, from the next run on.
        if (!this.transcode.audio && this.input.audio !== false)
          restartForCodecs = this.transcode.audio = true;
        else if (!this.transcode.video && this.input.video !== false)
          restartForCodecs = this.transcode.video = true;
      }
      if (restartForCodecs) {
        this.launch();
        return;
      }
      if (!error && this.input.isFile) {
        this.onStatus({ status: 'ended' });
        return;
      }
      const reason = withoutCredentials(
        (error?.message.split('\n')[0] ?? 'source ended') +
          (stderr ? ` | ${stderr.trim().split('\n').pop()}` : ''),
      );
      if (!this.everConnected && this.attempt >= this.spec.maxInitialAttempts) {
        this.onStatus({ status: 'failed', reason });
        return;
      }
      const delayMs = this.backoff.next();
      this.onStatus({ status: 'reconnecting', attempt: this.attempt, delayMs, reason });
      this.retryTimer = setTimeout(() => this.launch(), delayMs);
    });
  }

  private onFrame(run: FfmpegRun, frame: MediaFrame): void {
    if (this.run !== run || !this.deliver) return;
    const inMs = (frame.timestamp * 1000) / frame.clockRate;
    if (this.runOffsetMs === undefined) {
      // A new run continues after what was delivered, at wall-clock pace.
      const base = Math.max(this.lastOutMs + 20, performance.now() - this.startedAt);
      this.runOffsetMs = this.lastOutMs < 0 ? 0 : base - inMs;
      if (this.framesDelivered > 0) this.backoff.reset();
    }
    const outMs = inMs + this.runOffsetMs;
    if (outMs > this.lastOutMs) this.lastOutMs = outMs;
    this.framesDelivered++;
    this.deliver({ ...frame, timestamp: Math.round((outMs * frame.clockRate) / 1000) });
  }
}

/** Builds the `streaming-in` source of a spec (validated here). */
export function createStreamingInSource(
  streamId: string,
  spec: unknown,
  onStatus: (streamId: string, status: StreamingInStatus) => void,
): StreamingInSource {
  const parsed = streamingInSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `source.${i.path.join('.')}: ${i.message}`);
    throw new ValidationError(`invalid source: ${details.join('; ')}`, { data: details });
  }
  const url = parsed.data.url;
  if (!URL_PATTERN.test(url) && !(isAbsolute(url) && !url.includes('..'))) {
    throw new ValidationError(`source.url: not an rtsp/rtmp/http(s) URL or an absolute file path: ${url}`);
  }
  return new StreamingInSource(streamId, parsed.data, (status) => onStatus(streamId, status));
}
