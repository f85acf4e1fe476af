import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPacketizer, type RtpCodec } from '../../../agents/webrtc/rtp/codecs.js';
import { parseRtpPacket, serializeRtpPacket } from '../../../agents/webrtc/rtp/rtp-packet.js';
import { RtpReceiveStream } from '../../../agents/webrtc/rtp/rtp-receive-stream.js';
import { RtpStreamSender } from '../../../agents/webrtc/rtp/rtp-stream-sender.js';
import type { MediaFrame, VideoFrame } from '../../../common/media/media-frame.js';
import { FfmpegRtpSource, ffmpegDecode, runFfmpeg } from './ffmpeg-rtp-source.js';
import { readIvf, writeIvf } from './ivf.js';

/**
 * Real encoder output: ffmpeg encodes 1 s of testsrc (320x240, 15 fps, keyframe every 5
 * frames) and sends it as RTP; we depacketize it and have ffmpeg decode what we produced.
 */

const dir = mkdtempSync(join(tmpdir(), 'mediaspread-rtp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const VIDEO_INPUT = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-t', '1'];

interface EncoderCase {
  name: string;
  codec: RtpCodec;
  args: string[];
  /** ffmpeg input format of the file we write back. */
  format: 'ivf' | 'h264';
  fourcc?: string;
  /** H264: whether FU-A fragments must appear (mode 1) or must not (mode 0). */
  fuA?: boolean;
}

const CASES: EncoderCase[] = [
  {
    name: 'vp8 (libvpx)',
    codec: 'vp8',
    args: ['-c:v', 'libvpx', '-deadline', 'realtime', '-g', '5', '-auto-alt-ref', '0', '-lag-in-frames', '0'],
    format: 'ivf',
    fourcc: 'VP80',
  },
  {
    name: 'vp9 (libvpx-vp9)',
    codec: 'vp9',
    args: [
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-g',
      '5',
      '-lag-in-frames',
      '0',
      '-strict',
      'experimental',
    ],
    format: 'ivf',
    fourcc: 'VP90',
  },
  {
    name: 'h264 (libx264, mode 1 with FU-A)',
    codec: 'h264',
    args: ['-c:v', 'libx264', '-g', '5', '-bf', '0', '-bsf:v', 'dump_extra=freq=keyframe'],
    format: 'h264',
    fuA: true,
  },
  {
    name: 'h264 (libx264, mode 0 with sliced frames)',
    codec: 'h264',
    args: [
      ...['-c:v', 'libx264', '-g', '5', '-bf', '0', '-x264-params', 'slice-max-size=1000'],
      ...['-bsf:v', 'dump_extra=freq=keyframe', '-rtpflags', 'h264_mode0'],
    ],
    format: 'h264',
    fuA: false,
  },
];

function depacketize(
  codec: RtpCodec,
  datagrams: Buffer[],
): { frames: MediaFrame[]; stream: RtpReceiveStream } {
  const frames: MediaFrame[] = [];
  const first = parseRtpPacket(datagrams[0]!);
  const stream = new RtpReceiveStream({ codec, ssrc: first.ssrc, onFrame: (f) => frames.push(f) });
  let now = 0;
  for (const d of datagrams) {
    stream.receive(parseRtpPacket(d), now);
    now += 1;
    stream.poll(now);
  }
  stream.poll(now + 10_000);
  return { frames, stream };
}

describe('depacketizing real encoder output (ffmpeg → RTP → MediaFrames)', () => {
  for (const c of CASES) {
    it(c.name, async (t) => {
      const source = new FfmpegRtpSource();
      t.after(() => source.close());
      const datagrams = await source.run(VIDEO_INPUT, c.args);
      assert.ok(datagrams.length >= 15, `got ${datagrams.length} packets`);
      const { frames, stream } = depacketize(c.codec, datagrams);
      const video = frames.filter((f): f is VideoFrame => f.kind === 'video');
      assert.equal(stream.stats.reorder.lost, 0);
      assert.equal(video.length, 15, 'one frame per encoded picture');
      assert.deepEqual(
        video.map((f) => f.keyframe),
        video.map((_, i) => i % 5 === 0),
        'keyframe every 5 frames',
      );
      for (const f of video) assert.deepEqual([f.width, f.height], [320, 240]);
      for (let i = 1; i < video.length; i++)
        assert.equal(video[i]!.timestamp - video[i - 1]!.timestamp, 6000);
      // Write the frames back out and have ffmpeg decode all of them without errors.
      const file = join(dir, `${c.name.replace(/\W+/g, '_')}.${c.format}`);
      if (c.format === 'ivf') writeIvf(file, c.fourcc!, video);
      else writeFileSync(file, Buffer.concat(video.map((f) => f.payload)));
      const decoded = await ffmpegDecode(file, c.format);
      assert.equal(decoded.code, 0, decoded.stderr);
      assert.equal(decoded.stderr.trim(), '', 'decoder reported no error');
      assert.equal(decoded.frames, 15);
      if (c.fuA !== undefined) {
        const fuA = datagrams.some((d) => (parseRtpPacket(d).payload[0]! & 0x1f) === 28);
        assert.equal(fuA, c.fuA, 'FU-A usage matches the packetization mode');
      }
      // Our packetizer on the real bitstream, back through our depacketizer: same frames.
      const sender = new RtpStreamSender({
        ssrc: 5,
        payloadType: 96,
        clockRate: 90000,
        packetizer: createPacketizer(c.codec, { packetizationMode: c.fuA === false ? 0 : 1 }),
        maxPayloadSize: 1100,
      });
      const again = depacketize(
        c.codec,
        video.flatMap((f) => sender.packetizeFrame(f).map((p) => Buffer.from(serializeRtpPacket(p)))),
      ).frames.filter((f): f is VideoFrame => f.kind === 'video');
      assert.equal(again.length, video.length);
      again.forEach((f, i) => {
        assert.deepEqual(Buffer.from(f.payload), Buffer.from(video[i]!.payload));
        assert.equal(f.keyframe, video[i]!.keyframe);
        assert.deepEqual([f.width, f.height], [320, 240]);
      });
    });
  }

  it('av1 (libaom, via IVF: ffmpeg 5.1 has no AV1 RTP muxer): our packetizer and depacketizer', async () => {
    const source = join(dir, 'source-av1.ivf');
    await runFfmpeg([
      ...VIDEO_INPUT,
      ...['-c:v', 'libaom-av1', '-usage', 'realtime', '-cpu-used', '8', '-g', '5', '-lag-in-frames', '0'],
      source,
    ]);
    const ivf = readIvf(source);
    assert.equal(ivf.frames.length, 15);
    const sender = new RtpStreamSender({
      ssrc: 5,
      payloadType: 45,
      clockRate: 90000,
      packetizer: createPacketizer('av1'),
      maxPayloadSize: 500,
    });
    const datagrams = ivf.frames.flatMap((f, i) =>
      sender
        .packetizeFrame({ payload: f.payload, timestamp: i * 6000 })
        .map((p) => Buffer.from(serializeRtpPacket(p))),
    );
    assert.ok(datagrams.length > ivf.frames.length, 'frames larger than the MTU were fragmented');
    const video = depacketize('av1', datagrams).frames.filter((f): f is VideoFrame => f.kind === 'video');
    assert.equal(video.length, 15);
    assert.deepEqual(
      video.map((f) => f.keyframe),
      video.map((_, i) => i % 5 === 0),
    );
    video.forEach((f, i) => {
      assert.deepEqual([f.width, f.height], [320, 240]);
      assert.deepEqual(Buffer.from(f.payload), Buffer.from(ivf.frames[i]!.payload), `temporal unit ${i}`);
    });
    const out = join(dir, 'out-av1.ivf');
    writeIvf(out, 'AV01', video);
    const decoded = await ffmpegDecode(out, 'ivf');
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.equal(decoded.frames, 15);
  });

  it('opus (libopus): one frame per packet', async (t) => {
    const source = new FfmpegRtpSource();
    t.after(() => source.close());
    const datagrams = await source.run(
      ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '1'],
      ['-c:a', 'libopus', '-frame_duration', '20'],
    );
    const { frames } = depacketize('opus', datagrams);
    assert.equal(frames.length, datagrams.length);
    assert.ok(frames.length >= 49 && frames.length <= 51, `${frames.length} frames`);
    for (let i = 1; i < frames.length; i++)
      assert.equal(frames[i]!.timestamp - frames[i - 1]!.timestamp, 960);
    assert.ok(frames.every((f) => f.kind === 'audio' && f.sampleRate === 48000 && f.payload.length > 0));
  });
});
