import { ByteReader } from './byte-reader.js';
import { ByteWriter, encodeString } from './byte-writer.js';
import {
  type LinkMessage,
  type LinkMessageType,
  type LinkTicket,
  REJECT_CODES,
  type RejectCode,
  TICKET_NONCE_BYTES,
  TICKET_SIGNATURE_BYTES,
} from './link-message.js';
import type { MediaFeedback } from './media-feedback.js';
import type { AudioCodec, MediaFrame, VideoCodec } from './media-frame.js';
import { WireFormatError } from './wire-format-error.js';

/**
 * Internal-link wire format, version 1. Every message is a 4-byte big-endian length prefix and
 * a body starting with (version u8, type u8). Numbers are big-endian; enums are explicit
 * tables (never array positions) so adding a codec never renumbers the others. Layout tables:
 * docs/internal-links.md.
 */
export const WIRE_VERSION = 1;
export const LENGTH_PREFIX_BYTES = 4;
/** Ids (stream, node, link) are at most this many UTF-8 bytes; reasons at most REASON_MAX_BYTES. */
export const ID_MAX_BYTES = 255;
export const REASON_MAX_BYTES = 1024;

const TYPE_CODES: Record<LinkMessageType, number> = {
  hello: 0x01,
  welcome: 0x02,
  reject: 0x03,
  close: 0x04,
  frame: 0x10,
  feedback: 0x11,
  announce: 0x12,
  end: 0x13,
  ping: 0x20,
  pong: 0x21,
};
const TYPES_BY_CODE = invert(TYPE_CODES);

const KIND_CODES = { audio: 1, video: 2 } as const;
export const VIDEO_CODEC_CODES: Record<VideoCodec, number> = { vp8: 1, vp9: 2, h264: 3, h265: 4, av1: 5 };
export const AUDIO_CODEC_CODES: Record<AudioCodec, number> = { opus: 1, pcmu: 2, pcma: 3, aac: 4, g722: 5 };
const VIDEO_CODECS_BY_CODE = invert(VIDEO_CODEC_CODES);
const AUDIO_CODECS_BY_CODE = invert(AUDIO_CODEC_CODES);
const REJECT_CODES_BY_CODE = invert(REJECT_CODES);
const FEEDBACK_CODES = { 'keyframe-request': 1, 'target-bitrate': 2 } as const;

const FLAG_KEYFRAME = 0x01;
const FLAG_RESUMED = 0x01;

function invert<K extends string>(table: Record<K, number>): Map<number, K> {
  return new Map(Object.entries<number>(table).map(([k, v]) => [v, k as K]));
}

/** Encodes a message body (without the length prefix). Copies the payload; links use encodeMessageChunks. */
export function encodeMessage(message: LinkMessage): Buffer {
  const chunks = encodeMessageChunks(message);
  return Buffer.concat(chunks).subarray(LENGTH_PREFIX_BYTES);
}

/**
 * Encodes a message ready for the stream: the first chunk starts with the length prefix; a
 * frame's payload is returned as its own chunk so that it is never copied.
 */
export function encodeMessageChunks(message: LinkMessage): Uint8Array[] {
  if (message.type === 'frame') return encodeFrame(message.streamId, message.frame);
  const body = encodeControl(message);
  return [body];
}

function header(writer: ByteWriter, bodySize: number, type: LinkMessageType): ByteWriter {
  return writer.u32(bodySize, 'length').u8(WIRE_VERSION, 'version').u8(TYPE_CODES[type], 'type');
}

/** Encoded stream ids: the same few ids go out with every frame. Bounded by a reset. */
const streamIdCache = new Map<string, Uint8Array>();

function encodeStreamId(streamId: string): Uint8Array {
  let encoded = streamIdCache.get(streamId);
  if (!encoded) {
    encoded = encodeString(streamId, ID_MAX_BYTES, 'stream id');
    if (streamIdCache.size >= 4096) streamIdCache.clear();
    streamIdCache.set(streamId, encoded);
  }
  return encoded;
}

function encodeFrame(streamId: string, frame: MediaFrame): Uint8Array[] {
  const sid = encodeStreamId(streamId);
  const mediaFields = frame.kind === 'video' ? 4 : 5;
  const headerSize = 2 + 1 + sid.byteLength + 3 + 8 + 4 + mediaFields + 4;
  const w = new ByteWriter(LENGTH_PREFIX_BYTES + headerSize);
  header(w, headerSize + frame.payload.byteLength, 'frame')
    .string(sid, 1, 'stream id')
    .u8(KIND_CODES[frame.kind], 'kind');
  if (frame.kind === 'video') {
    const codec = VIDEO_CODEC_CODES[frame.codec];
    if (codec === undefined) throw new WireFormatError(`cannot encode video codec ${String(frame.codec)}`);
    w.u8(codec, 'codec').u8(frame.keyframe ? FLAG_KEYFRAME : 0, 'flags');
  } else {
    const codec = AUDIO_CODEC_CODES[frame.codec];
    if (codec === undefined) throw new WireFormatError(`cannot encode audio codec ${String(frame.codec)}`);
    w.u8(codec, 'codec').u8(0, 'flags');
  }
  w.i64(frame.timestamp, 'timestamp').u32(positive(frame.clockRate, 'clock rate'), 'clock rate');
  if (frame.kind === 'video') {
    w.u16(frame.width, 'width').u16(frame.height, 'height');
  } else {
    w.u32(positive(frame.sampleRate, 'sample rate'), 'sample rate').u8(
      positive(frame.channels, 'channels'),
      'channels',
    );
  }
  w.u32(frame.payload.byteLength, 'payload length');
  return frame.payload.byteLength > 0 ? [w.buffer, frame.payload] : [w.buffer];
}

function positive(value: number, what: string): number {
  if (!(value > 0)) throw new WireFormatError(`cannot encode ${what}: ${value} is not positive`);
  return value;
}

function encodeControl(message: Exclude<LinkMessage, { type: 'frame' }>): Buffer {
  switch (message.type) {
    case 'hello': {
      const t = message.ticket;
      const linkId = encodeString(t.linkId, ID_MAX_BYTES, 'link id');
      const src = encodeString(t.sourceNodeId, ID_MAX_BYTES, 'source node id');
      const dst = encodeString(t.destNodeId, ID_MAX_BYTES, 'destination node id');
      fixedLength(t.nonce, TICKET_NONCE_BYTES, 'nonce');
      fixedLength(t.signature, TICKET_SIGNATURE_BYTES, 'signature');
      const size = 2 + 3 + linkId.byteLength + src.byteLength + dst.byteLength + 8 + 16 + 32;
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + size);
      header(w, size, 'hello')
        .string(linkId, 1, 'link id')
        .string(src, 1, 'source node id')
        .string(dst, 1, 'destination node id')
        .i64(t.expiresAt, 'expiry')
        .bytes(t.nonce)
        .bytes(t.signature);
      return w.buffer;
    }
    case 'welcome': {
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + 3);
      return header(w, 3, 'welcome').u8(message.resumed ? FLAG_RESUMED : 0, 'flags').buffer;
    }
    case 'reject': {
      const reason = encodeString(message.reason, REASON_MAX_BYTES, 'reason', true);
      const size = 2 + 2 + 2 + reason.byteLength;
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + size);
      header(w, size, 'reject').u16(REJECT_CODES[message.code], 'reject code').string(reason, 2, 'reason');
      return w.buffer;
    }
    case 'close': {
      const reason = encodeString(message.reason, REASON_MAX_BYTES, 'reason', true);
      const size = 2 + 2 + reason.byteLength;
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + size);
      return header(w, size, 'close').string(reason, 2, 'reason').buffer;
    }
    case 'feedback': {
      const sid = encodeString(message.streamId, ID_MAX_BYTES, 'stream id');
      const fb = message.feedback;
      const size = 2 + 1 + sid.byteLength + 1 + (fb.type === 'target-bitrate' ? 4 : 0);
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + size);
      header(w, size, 'feedback').string(sid, 1, 'stream id').u8(FEEDBACK_CODES[fb.type], 'feedback type');
      if (fb.type === 'target-bitrate') w.u32(fb.bps, 'bitrate');
      return w.buffer;
    }
    case 'announce':
    case 'end': {
      const sid = encodeString(message.streamId, ID_MAX_BYTES, 'stream id');
      const size = 2 + 1 + sid.byteLength;
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + size);
      return header(w, size, message.type).string(sid, 1, 'stream id').buffer;
    }
    case 'ping':
    case 'pong': {
      const w = new ByteWriter(LENGTH_PREFIX_BYTES + 6);
      return header(w, 6, message.type).u32(message.id, 'ping id').buffer;
    }
  }
}

function fixedLength(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== n) {
    throw new WireFormatError(`cannot encode ${what}: expected ${n} bytes`);
  }
}

/**
 * Decodes one message body (the bytes after the length prefix). Validates every field and
 * throws WireFormatError on anything malformed. A frame's payload is a view into `body`.
 */
export function decodeMessage(body: Uint8Array): LinkMessage {
  const r = new ByteReader(body);
  const version = r.u8('version');
  if (version !== WIRE_VERSION) throw new WireFormatError(`unsupported wire version ${version}`);
  const typeCode = r.u8('type');
  const type = TYPES_BY_CODE.get(typeCode);
  if (type === undefined) throw new WireFormatError(`unknown message type 0x${typeCode.toString(16)}`);
  const message = decodeBody(type, r);
  r.expectEnd(type);
  return message;
}

function decodeBody(type: LinkMessageType, r: ByteReader): LinkMessage {
  switch (type) {
    case 'hello': {
      const ticket: LinkTicket = {
        linkId: r.string(1, 'link id'),
        sourceNodeId: r.string(1, 'source node id'),
        destNodeId: r.string(1, 'destination node id'),
        expiresAt: r.i64('expiry'),
        nonce: r.bytesView(TICKET_NONCE_BYTES, 'nonce'),
        signature: r.bytesView(TICKET_SIGNATURE_BYTES, 'signature'),
      };
      return { type, ticket };
    }
    case 'welcome': {
      const flags = r.u8('flags');
      if ((flags & ~FLAG_RESUMED) !== 0)
        throw new WireFormatError(`unknown welcome flags 0x${flags.toString(16)}`);
      return { type, resumed: (flags & FLAG_RESUMED) !== 0 };
    }
    case 'reject': {
      const code = REJECT_CODES_BY_CODE.get(r.u16('reject code'));
      if (code === undefined) throw new WireFormatError('unknown reject code');
      return { type, code: code satisfies RejectCode, reason: r.string(2, 'reason', { allowEmpty: true }) };
    }
    case 'close':
      return { type, reason: r.string(2, 'reason', { allowEmpty: true }) };
    case 'frame':
      return decodeFrame(r);
    case 'feedback': {
      const streamId = r.string(1, 'stream id');
      const fbCode = r.u8('feedback type');
      let feedback: MediaFeedback;
      if (fbCode === FEEDBACK_CODES['keyframe-request']) feedback = { type: 'keyframe-request' };
      else if (fbCode === FEEDBACK_CODES['target-bitrate'])
        feedback = { type: 'target-bitrate', bps: r.u32('bitrate') };
      else throw new WireFormatError(`unknown feedback type ${fbCode}`);
      return { type, streamId, feedback };
    }
    case 'announce':
    case 'end':
      return { type, streamId: r.string(1, 'stream id') };
    case 'ping':
    case 'pong':
      return { type, id: r.u32('ping id') };
  }
}

function decodeFrame(r: ByteReader): LinkMessage {
  const streamId = r.string(1, 'stream id');
  const kindCode = r.u8('kind');
  const codecCode = r.u8('codec');
  const flags = r.u8('flags');
  const timestamp = r.i64('timestamp');
  const clockRate = r.u32('clock rate');
  if (clockRate === 0) throw new WireFormatError('clock rate is zero');
  if (kindCode === KIND_CODES.video) {
    const codec = VIDEO_CODECS_BY_CODE.get(codecCode);
    if (codec === undefined) throw new WireFormatError(`unknown video codec ${codecCode}`);
    if ((flags & ~FLAG_KEYFRAME) !== 0)
      throw new WireFormatError(`unknown frame flags 0x${flags.toString(16)}`);
    const width = r.u16('width');
    const height = r.u16('height');
    const payload = r.bytesView(r.u32('payload length'), 'payload');
    const keyframe = (flags & FLAG_KEYFRAME) !== 0;
    return {
      type: 'frame',
      streamId,
      frame: { kind: 'video', codec, keyframe, timestamp, clockRate, width, height, payload },
    };
  }
  if (kindCode === KIND_CODES.audio) {
    const codec = AUDIO_CODECS_BY_CODE.get(codecCode);
    if (codec === undefined) throw new WireFormatError(`unknown audio codec ${codecCode}`);
    if (flags !== 0) throw new WireFormatError(`unknown audio frame flags 0x${flags.toString(16)}`);
    const sampleRate = r.u32('sample rate');
    if (sampleRate === 0) throw new WireFormatError('sample rate is zero');
    const channels = r.u8('channels');
    if (channels === 0) throw new WireFormatError('channel count is zero');
    const payload = r.bytesView(r.u32('payload length'), 'payload');
    return {
      type: 'frame',
      streamId,
      frame: { kind: 'audio', codec, timestamp, clockRate, sampleRate, channels, payload },
    };
  }
  throw new WireFormatError(`unknown media kind ${kindCode}`);
}
