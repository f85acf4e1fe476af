import { element, floatElement, idBytes, openElement, stringElement, uintElement } from './ebml.js';
import { MKV, TRACK_TYPE_AUDIO, TRACK_TYPE_VIDEO } from './matroska-ids.js';

export interface MkvVideoTrack {
  kind: 'video';
  codecId: string;
  codecPrivate?: Uint8Array;
  width: number;
  height: number;
}

export interface MkvAudioTrack {
  kind: 'audio';
  codecId: string;
  codecPrivate?: Uint8Array;
  sampleRate: number;
  channels: number;
  bitDepth?: number;
}

export type MkvTrack = MkvVideoTrack | MkvAudioTrack;

/** Longest cluster: block timestamps are signed 16-bit offsets (ms) from the cluster's. */
const MAX_CLUSTER_MS = 5000;

/**
 * A streaming Matroska muxer: header once, then blocks; the segment and clusters have
 * unknown sizes so nothing is ever rewritten (pipes, and files that must stay playable when
 * the writer dies). Timestamps are milliseconds (TimestampScale 1 ms).
 */
export class MatroskaWriter {
  private clusterMs: number | undefined;

  constructor(
    readonly tracks: readonly MkvTrack[],
    private readonly docType: 'matroska' | 'webm' = 'matroska',
  ) {}

  /** Track number (1-based) of the first track of `kind`, or 0 when there is none. */
  trackNumberOf(kind: 'audio' | 'video'): number {
    return this.tracks.findIndex((t) => t.kind === kind) + 1;
  }

  header(): Buffer {
    const ebml = element(
      MKV.EBML,
      uintElement(MKV.EBMLVersion, 1),
      uintElement(MKV.EBMLReadVersion, 1),
      uintElement(MKV.EBMLMaxIDLength, 4),
      uintElement(MKV.EBMLMaxSizeLength, 8),
      stringElement(MKV.DocType, this.docType),
      uintElement(MKV.DocTypeVersion, 4),
      uintElement(MKV.DocTypeReadVersion, 2),
    );
    const info = element(
      MKV.Info,
      uintElement(MKV.TimestampScale, 1_000_000),
      stringElement(MKV.MuxingApp, 'mediaspread'),
      stringElement(MKV.WritingApp, 'mediaspread'),
    );
    const entries = this.tracks.map((t, i) => trackEntry(t, i + 1));
    return Buffer.concat([ebml, openElement(MKV.Segment), info, element(MKV.Tracks, ...entries)]);
  }

  /**
   * One frame as a SimpleBlock (preceded by a new cluster when needed). Clusters start on
   * video keyframes so that a reader joining or a file cut at any cluster decodes cleanly.
   */
  block(trackNumber: number, timeMs: number, keyframe: boolean, data: Uint8Array): Buffer[] {
    const ms = Math.round(timeMs);
    const out: Buffer[] = [];
    const isVideo = this.tracks[trackNumber - 1]?.kind === 'video';
    const hasVideo = this.tracks.some((t) => t.kind === 'video');
    let rel = this.clusterMs === undefined ? Number.NaN : ms - this.clusterMs;
    const needCluster =
      this.clusterMs === undefined ||
      rel > MAX_CLUSTER_MS ||
      rel < -30_000 ||
      (isVideo && keyframe && rel > 0) ||
      (!hasVideo && rel >= 1000);
    if (needCluster) {
      this.clusterMs = Math.max(ms, this.clusterMs ?? 0);
      rel = ms - this.clusterMs;
      out.push(openElement(MKV.Cluster), uintElement(MKV.Timestamp, this.clusterMs));
    }
    const head = Buffer.alloc(4);
    head[0] = 0x80 | trackNumber; // track number as a 1-byte vint (tracks 1..127)
    head.writeInt16BE(Math.max(-32768, Math.min(32767, rel)), 1);
    head[3] = keyframe ? 0x80 : 0;
    const size = head.length + data.length;
    out.push(
      idBytes(MKV.SimpleBlock),
      sizeBytes(size),
      head,
      Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    );
    return out;
  }
}

function sizeBytes(size: number): Buffer {
  // Always 4-byte vint sizes for blocks: cheap and fits frames up to 256 MiB.
  const b = Buffer.alloc(4);
  b.writeUInt32BE(size);
  b[0]! |= 0x10;
  return b;
}

function trackEntry(t: MkvTrack, number: number): Buffer {
  const parts: Buffer[] = [
    uintElement(MKV.TrackNumber, number),
    uintElement(MKV.TrackUID, number),
    uintElement(MKV.TrackType, t.kind === 'video' ? TRACK_TYPE_VIDEO : TRACK_TYPE_AUDIO),
    uintElement(MKV.FlagLacing, 0),
    stringElement(MKV.CodecID, t.codecId),
  ];
  if (t.codecPrivate) parts.push(element(MKV.CodecPrivate, t.codecPrivate));
  if (t.kind === 'video') {
    parts.push(
      element(MKV.Video, uintElement(MKV.PixelWidth, t.width), uintElement(MKV.PixelHeight, t.height)),
    );
  } else {
    const audio = [floatElement(MKV.SamplingFrequency, t.sampleRate), uintElement(MKV.Channels, t.channels)];
    if (t.bitDepth) audio.push(uintElement(MKV.BitDepth, t.bitDepth));
    parts.push(element(MKV.Audio, ...audio));
  }
  return element(MKV.TrackEntry, ...parts);
}
