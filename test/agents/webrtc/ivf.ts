import { readFileSync, writeFileSync } from 'node:fs';
import type { VideoFrame } from '../../../common/media/media-frame.js';

/** IVF container (VP8/VP9/AV1 elementary frames) for feeding real bitstreams to ffmpeg and back. */

/** Writes VP8/VP9/AV1 frames into an IVF file (for ffmpeg to decode). */
export function writeIvf(path: string, fourcc: string, frames: readonly VideoFrame[]): void {
  const head = Buffer.alloc(32);
  head.write('DKIF', 0, 'ascii');
  head.writeUInt16LE(0, 4);
  head.writeUInt16LE(32, 6);
  head.write(fourcc, 8, 'ascii');
  head.writeUInt16LE(frames[0]?.width ?? 0, 12);
  head.writeUInt16LE(frames[0]?.height ?? 0, 14);
  head.writeUInt32LE(90000, 16);
  head.writeUInt32LE(1, 20);
  head.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [head];
  const t0 = frames[0]?.timestamp ?? 0;
  for (const f of frames) {
    const fh = Buffer.alloc(12);
    fh.writeUInt32LE(f.payload.length, 0);
    fh.writeBigUInt64LE(BigInt(f.timestamp - t0), 4);
    parts.push(fh, Buffer.from(f.payload));
  }
  writeFileSync(path, Buffer.concat(parts));
}

export interface IvfFrame {
  payload: Uint8Array;
  pts: number;
}

export function readIvf(path: string): { fourcc: string; width: number; height: number; frames: IvfFrame[] } {
  const buf = readFileSync(path);
  if (buf.length < 32 || buf.toString('ascii', 0, 4) !== 'DKIF') throw new Error(`${path} is not IVF`);
  const headerSize = buf.readUInt16LE(6);
  const frames: IvfFrame[] = [];
  let o = headerSize;
  while (o + 12 <= buf.length && frames.length < 100_000) {
    const size = buf.readUInt32LE(o);
    const pts = Number(buf.readBigUInt64LE(o + 4));
    if (o + 12 + size > buf.length) throw new Error('IVF frame truncated');
    frames.push({ payload: new Uint8Array(buf.subarray(o + 12, o + 12 + size)), pts });
    o += 12 + size;
  }
  return {
    fourcc: buf.toString('ascii', 8, 12),
    width: buf.readUInt16LE(12),
    height: buf.readUInt16LE(14),
    frames,
  };
}
