import { MediaSpreadError } from '../../../common/errors.js';
import { readFloat, readUint, readVint } from './ebml.js';
import { MKV, TRACK_TYPE_AUDIO, TRACK_TYPE_VIDEO } from './matroska-ids.js';

export class MatroskaParseError extends MediaSpreadError {
  constructor(message: string) {
    super(message, { code: 'MATROSKA_PARSE' });
  }
}

export interface MkvReadTrack {
  number: number;
  kind: 'audio' | 'video';
  codecId: string;
  codecPrivate: Uint8Array | undefined;
  width: number;
  height: number;
  sampleRate: number;
  channels: number;
}

export interface MkvReaderEvents {
  tracks(tracks: MkvReadTrack[]): void;
  /** `keyframe` is the container's flag (SimpleBlock); Blocks in groups report undefined. */
  block(track: MkvReadTrack, timeMs: number, keyframe: boolean | undefined, data: Uint8Array): void;
}

/** Masters we descend into without waiting for their whole body (they may be endless). */
const DESCEND = new Set<number>([MKV.Segment, MKV.Cluster, MKV.BlockGroup]);
/** Leaf or small elements we need whole. */
const WHOLE = new Set<number>([MKV.Info, MKV.Tracks, MKV.Timestamp, MKV.SimpleBlock, MKV.Block, MKV.EBML]);
/** Largest element we buffer whole (a frame): guards memory against garbage input. */
const MAX_ELEMENT_BYTES = 32 * 1024 * 1024;

/**
 * A push parser for the live Matroska ffmpeg writes to a pipe (`-f matroska pipe:1`):
 * unknown-size segment and clusters, SimpleBlocks without lacing. Calls `tracks` once the
 * Tracks element is in, then `block` per frame with its absolute time in ms.
 */
export class MatroskaReader {
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0;
  private timestampScale = 1_000_000;
  private clusterTime = 0;
  private readonly trackMap = new Map<number, MkvReadTrack>();
  lacedBlocksSkipped = 0;

  constructor(private readonly events: MkvReaderEvents) {}

  push(chunk: Uint8Array): void {
    let buf: Buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.skip > 0) {
      const n = Math.min(this.skip, buf.length);
      this.skip -= n;
      buf = buf.subarray(n);
    }
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, buf]) : buf;
    let o = 0;
    const data = this.pending;
    for (;;) {
      const id = readVint(data, o, true);
      if (!id) break;
      const size = readVint(data, o + id.length);
      if (!size) break;
      const bodyStart = o + id.length + size.length;
      if (DESCEND.has(id.value)) {
        o = bodyStart;
        continue;
      }
      if (size.unknown) throw new MatroskaParseError(`unknown-size element 0x${id.value.toString(16)}`);
      if (WHOLE.has(id.value)) {
        if (size.value > MAX_ELEMENT_BYTES) throw new MatroskaParseError(`element of ${size.value} bytes`);
        if (bodyStart + size.value > data.length) break;
        this.onElement(id.value, data.subarray(bodyStart, bodyStart + size.value));
        o = bodyStart + size.value;
        continue;
      }
      // Anything else (SeekHead, Cues, Tags, Void, BlockGroup children…) is skipped.
      const end = bodyStart + size.value;
      if (end > data.length) {
        this.skip = end - data.length;
        o = data.length;
        break;
      }
      o = end;
    }
    // Copy the tail so that the chunk it came from can be freed.
    this.pending = o >= data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(o));
  }

  private onElement(id: number, body: Buffer): void {
    switch (id) {
      case MKV.Info:
        for (const [childId, child] of children(body)) {
          if (childId === MKV.TimestampScale) this.timestampScale = readUint(child) || 1_000_000;
        }
        return;
      case MKV.Tracks:
        this.readTracks(body);
        return;
      case MKV.Timestamp:
        this.clusterTime = readUint(body);
        return;
      case MKV.SimpleBlock:
      case MKV.Block:
        this.readBlock(body, id === MKV.SimpleBlock);
        return;
      default:
        return;
    }
  }

  private readTracks(body: Buffer): void {
    for (const [entryId, entry] of children(body)) {
      if (entryId !== MKV.TrackEntry) continue;
      const t: MkvReadTrack = {
        number: 0,
        kind: 'video',
        codecId: '',
        codecPrivate: undefined,
        width: 0,
        height: 0,
        sampleRate: 0,
        channels: 0,
      };
      let type = 0;
      for (const [cid, c] of children(entry)) {
        if (cid === MKV.TrackNumber) t.number = readUint(c);
        else if (cid === MKV.TrackType) type = readUint(c);
        else if (cid === MKV.CodecID) t.codecId = c.toString('ascii');
        else if (cid === MKV.CodecPrivate) t.codecPrivate = new Uint8Array(c);
        else if (cid === MKV.Video) {
          for (const [vid, v] of children(c)) {
            if (vid === MKV.PixelWidth) t.width = readUint(v);
            else if (vid === MKV.PixelHeight) t.height = readUint(v);
          }
        } else if (cid === MKV.Audio) {
          for (const [aid, a] of children(c)) {
            if (aid === MKV.SamplingFrequency) t.sampleRate = Math.round(readFloat(a));
            else if (aid === MKV.Channels) t.channels = readUint(a);
          }
        }
      }
      if (type !== TRACK_TYPE_VIDEO && type !== TRACK_TYPE_AUDIO) continue;
      t.kind = type === TRACK_TYPE_VIDEO ? 'video' : 'audio';
      if (t.kind === 'audio') {
        t.sampleRate ||= 8000;
        t.channels ||= 1;
      }
      this.trackMap.set(t.number, t);
    }
    this.events.tracks([...this.trackMap.values()]);
  }

  private readBlock(body: Buffer, simple: boolean): void {
    const num = readVint(body, 0);
    if (!num || body.length < num.length + 3) throw new MatroskaParseError('block too short');
    const track = this.trackMap.get(num.value);
    if (!track) return;
    const rel = body.readInt16BE(num.length);
    const flags = body[num.length + 2]!;
    if (flags & 0x06) {
      this.lacedBlocksSkipped++;
      return;
    }
    const timeMs = ((this.clusterTime + rel) * this.timestampScale) / 1_000_000;
    const keyframe = simple ? (flags & 0x80) !== 0 : undefined;
    this.events.block(track, timeMs, keyframe, body.subarray(num.length + 3));
  }
}

/** The children of a master element's body (known sizes only). */
function* children(body: Buffer): Generator<[number, Buffer]> {
  let o = 0;
  while (o < body.length) {
    const id = readVint(body, o, true);
    if (!id) return;
    const size = readVint(body, o + id.length);
    if (!size || size.unknown) return;
    const start = o + id.length + size.length;
    const end = start + size.value;
    if (end > body.length) return;
    yield [id.value, body.subarray(start, end)];
    o = end;
  }
}
