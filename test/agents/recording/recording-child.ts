/**
 * A recording node stand-in for the kill -9 test: records VP8+Opus to Matroska and
 * H264+AAC to MP4 from real encoder output until it is killed. Prints `started` when both
 * ffmpeg processes run. argv[2]: directory.
 */
import { createRecordingSink } from '../../../agents/recording/recording-sink.js';
import { FrameGeneratorSource } from '../../../common/media/frame-generator-source.js';
import type { MediaFrame } from '../../../common/media/media-frame.js';
import { MediaRouter } from '../../../common/media/media-router.js';
import { encodeFrames, pushFrames } from '../streaming/encoded-frames.js';

const dir = process.argv[2] ?? '/tmp';
const router = new MediaRouter();
const started = new Set<string>();

class Replay extends FrameGeneratorSource {
  out: ((f: MediaFrame) => void) | undefined;
  override start(deliver: (f: MediaFrame) => void): void {
    this.out = deliver;
  }
}

const jobs = [
  { id: 'kill-mkv', container: 'mkv', frames: encodeFrames({ video: 'vp8', audio: 'opus', seconds: 20 }) },
  { id: 'kill-mp4', container: 'mp4', frames: encodeFrames({ video: 'h264', audio: 'aac', seconds: 20 }) },
];
for (const job of jobs) {
  const source = new Replay();
  router.publish(job.id, source);
  router.subscribe(
    `rec-${job.id}`,
    createRecordingSink(
      `rec-${job.id}`,
      { type: 'recording', container: job.container, filename: job.id },
      { dir, minFreeBytes: 0 },
      (_id, status) => {
        if (status.status === 'started') {
          started.add(job.id);
          if (started.size === jobs.length) process.stdout.write('started\n');
        }
      },
    ),
  );
  router.linkup(`rec-${job.id}`, job.id);
  void pushFrames(job.frames, (f) => source.out?.(f));
}
// Bounded even if nobody kills us.
setTimeout(() => process.exit(3), 60_000);
