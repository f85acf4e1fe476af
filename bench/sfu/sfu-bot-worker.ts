/**
 * A child process holding a slice of the SFU benchmark's subscriber bots (werift peers that
 * count packets instead of depacketizing). Driven over IPC by sfu-bench.ts:
 *   parent → {type:'create', ids}        child → {type:'offers', offers:[{id, mid, sdp}]}
 *   parent → {type:'answer', id, sdp}    child → {type:'answered', id}
 *   parent → {type:'status'}             child → {type:'status', receiving}
 *   parent → {type:'report', window}     child → {type:'report', ...BotSliceReport}
 *   parent → {type:'close'}              child closes its peers and exits
 * Frames carry their publisher frame number in their last 4 bytes (the bench's pump appends
 * it), so a bot knows which frame a marker packet ends without decoding anything.
 */
import { createDecipheriv } from 'node:crypto';
import {
  type RTCDtlsTransport,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RtcpPacket,
  SrtpAuthenticationError,
  useNACK,
  usePLI,
  useSdesMid,
} from 'werift';
import { NackGenerator } from '../../agents/webrtc/rtp/nack-generator.js';
import { buildNack } from '../../agents/webrtc/rtp/rtcp-builders.js';
import { SequenceUnwrapper } from '../../agents/webrtc/rtp/sequence-unwrapper.js';
import { SRTP_AEAD_AES_128_GCM } from '../../agents/webrtc/srtp/srtp-protector.js';

export interface FrameWindow {
  firstFrame: number;
  lastFrame: number;
  /** Publisher send time (epoch ms) of every frame in the window, by frame number. */
  sentAt: Record<number, number>;
}

export interface BotSliceReport {
  bots: number;
  /** Packets of the window's frames that never arrived (after NACK/retransmission). */
  lost: number;
  expected: number;
  framesDelivered: number;
  framesExpected: number;
  /** Send → last packet of the frame arrived (ms), one per delivered frame: [frame, ms] pairs flattened. */
  latencies: number[];
  received: number;
  /** Of which counted on the bots' light SRTP path (the rest went through werift). */
  light: number;
}

type ParentMessage =
  | { type: 'create'; ids: string[] }
  | { type: 'answer'; id: string; sdp: string }
  | { type: 'report'; window: FrameWindow }
  | { type: 'status' }
  | { type: 'close' };

/** Epoch ms with sub-ms resolution: comparable across processes on one machine. */
const epochNow = () => performance.timeOrigin + performance.now();

/** Thrown (one instance) to make werift drop a datagram the bot already counted. */
const COUNTED = new SrtpAuthenticationError('counted by the bench bot');

/**
 * Arrival times by unwrapped sequence number and marker positions by frame number, in fixed
 * rings: a bot must not stall (growing Maps rehash and burden the GC), or its stalls show up
 * as the node's latency. 32768 packets ≈ 4.8 min at 113 packets/s; 8192 frames ≈ 4.5 min.
 */
const ARRIVALS = 1 << 15;
const FRAMES = 1 << 13;

class CountingBot {
  readonly pc: RTCPeerConnection;
  private readonly arrivalSeq = new Float64Array(ARRIVALS).fill(Number.NaN);
  private readonly arrivalAt = new Float64Array(ARRIVALS);
  private readonly markerFrame = new Float64Array(FRAMES).fill(Number.NaN);
  private readonly markerSeq = new Float64Array(FRAMES);
  received = 0;
  /** Datagrams counted from their SRTP header without werift's receive path. */
  light = 0;
  private readonly unwrapper = new SequenceUnwrapper();
  private readonly nack = new NackGenerator({ rttMs: 20 });
  private ssrc = -1;
  private dtls: RTCDtlsTransport | undefined;
  private key: Buffer | undefined;
  private salt: Buffer | undefined;
  private readonly iv = Buffer.alloc(12);

  constructor() {
    this.pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
      codecs: {
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: 90000,
            rtcpFeedback: [useNACK(), usePLI()],
          }),
        ],
        audio: [],
      },
      headerExtensions: { video: [useSdesMid()], audio: [] },
    });
  }

  async offer(): Promise<{ mid: string; sdp: string }> {
    const t = this.pc.addTransceiver('video', { direction: 'recvonly' });
    t.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const { header, payload } = rtp;
        const frame = header.marker && payload.length >= 4 ? payload.readUInt32BE(payload.length - 4) : -1;
        this.count(header.ssrc, header.sequenceNumber, frame);
      });
    });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.takeOverSrtp(t.receiver.dtlsTransport);
    });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const started = Date.now();
    while (this.pc.iceGatheringState !== 'complete' && Date.now() - started < 5000) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return { mid: t.mid ?? '', sdp: this.pc.localDescription?.sdp ?? '' };
  }

  private count(ssrc: number, sequenceNumber: number, frame: number): void {
    if (this.ssrc < 0) this.ssrc = ssrc;
    if (ssrc !== this.ssrc) return;
    const now = epochNow();
    this.received++;
    const seq = this.unwrapper.unwrap(sequenceNumber);
    const slot = seq & (ARRIVALS - 1);
    if (this.arrivalSeq[slot] !== seq) {
      this.arrivalSeq[slot] = seq;
      this.arrivalAt[slot] = now;
    }
    this.nack.onPacket(seq, performance.now());
    if (frame >= 0) {
      this.markerFrame[frame & (FRAMES - 1)] = frame;
      this.markerSeq[frame & (FRAMES - 1)] = seq;
    }
  }

  private arrival(seq: number): number | undefined {
    const slot = seq & (ARRIVALS - 1);
    return this.arrivalSeq[slot] === seq ? this.arrivalAt[slot] : undefined;
  }

  private marker(frame: number): number | undefined {
    const slot = frame & (FRAMES - 1);
    return this.markerFrame[slot] === frame ? this.markerSeq[slot] : undefined;
  }

  /**
   * werift's receive path (SRTP decrypt, RtpPacket objects, its receiver) costs ~80 µs a packet:
   * 100 bots would need a core of their own. With AES-GCM the bot reads the clear RTP header,
   * decrypts only marker packets (for the frame number) and sends its own NACKs; werift still
   * handles ICE, DTLS and RTCP.
   */
  private takeOverSrtp(dtls: RTCDtlsTransport | undefined): void {
    const session = dtls?.srtp;
    const remote = session?.remoteContext as {
      profile?: number;
      srtpSessionKey?: Buffer;
      srtpSessionSalt?: Buffer;
    };
    if (!dtls || !session || remote?.profile !== SRTP_AEAD_AES_128_GCM) return;
    this.dtls = dtls;
    this.key = remote.srtpSessionKey;
    this.salt = remote.srtpSessionSalt;
    dtls.srtp = Object.assign(Object.create(session) as typeof session, {
      decrypt: (datagram: Buffer): Buffer => {
        this.onSrtp(datagram);
        throw COUNTED;
      },
    });
  }

  private onSrtp(buf: Buffer): void {
    if (buf.length < 12 + 16) return;
    this.light++;
    const cc = buf[0]! & 0x0f;
    let headerLength = 12 + 4 * cc;
    if (buf[0]! & 0x10) headerLength += 4 + 4 * buf.readUInt16BE(headerLength + 2);
    const seq = buf.readUInt16BE(2);
    const ssrc = buf.readUInt32BE(8);
    let frame = -1;
    if (buf[1]! & 0x80 && this.key && this.salt) {
      const ext = this.unwrapper.highest === undefined ? seq : this.peekUnwrap(seq);
      const roc = Math.floor(ext / 65536);
      const iv = this.iv;
      const s = this.salt;
      iv[0] = s[0]!;
      iv[1] = s[1]!;
      iv.writeUInt32BE(ssrc >>> 0, 2);
      iv.writeUInt32BE(roc >>> 0, 6);
      iv.writeUInt16BE(seq, 10);
      for (let i = 2; i < 12; i++) iv[i] = iv[i]! ^ s[i]!;
      try {
        const d = createDecipheriv('aes-128-gcm', this.key, iv);
        d.setAAD(buf.subarray(0, headerLength));
        d.setAuthTag(buf.subarray(buf.length - 16));
        const plain = d.update(buf.subarray(headerLength, buf.length - 16));
        d.final();
        if (plain.length >= 4) frame = plain.readUInt32BE(plain.length - 4);
      } catch {
        return; // not authentic: not counted
      }
    }
    this.count(ssrc, seq, frame);
  }

  /** Where `seq` unwraps to, without moving the unwrapper. */
  private peekUnwrap(seq: number): number {
    const max = this.unwrapper.highest!;
    let delta = seq - (((max % 65536) + 65536) % 65536);
    if (delta > 32768) delta -= 65536;
    else if (delta <= -32768) delta += 65536;
    return max + delta;
  }

  /** NACKs due (the bot's own generator once it took over SRTP). */
  pollNacks(nowMs: number): void {
    if (!this.dtls || this.ssrc < 0) return;
    const due = this.nack.poll(nowMs);
    if (due.length === 0) return;
    const rtcp = Buffer.from(buildNack(1, this.ssrc, due));
    this.dtls.sendRtcp([{ serialize: () => rtcp } as unknown as RtcpPacket]).catch(() => undefined);
  }

  /** Loss, delivered frames and latencies over the publisher's frames in `w`. */
  report(w: FrameWindow, into: BotSliceReport): void {
    into.framesExpected += w.lastFrame - w.firstFrame + 1;
    into.received += this.received;
    into.light += this.light;
    // Packets of frame f: the ones after frame f-1's marker up to f's marker (the node numbers
    // each subscriber's packets consecutively).
    for (let f = w.firstFrame; f <= w.lastFrame; f++) {
      const end = this.marker(f);
      const prev = this.marker(f - 1);
      if (end === undefined || prev === undefined) {
        into.lost += 1; // at least the marker packet of one of them is gone for good
        into.expected += 1;
        continue;
      }
      let complete = true;
      let last = 0;
      for (let s = prev + 1; s <= end; s++) {
        into.expected++;
        const at = this.arrival(s);
        if (at === undefined) {
          into.lost++;
          complete = false;
        } else if (at > last) last = at;
      }
      const sent = w.sentAt[f];
      if (complete) {
        into.framesDelivered++;
        if (sent !== undefined) into.latencies.push(f, Math.round((last - sent) * 100) / 100);
      }
    }
  }
}

const bots = new Map<string, CountingBot>();
setInterval(() => {
  const now = performance.now();
  for (const bot of bots.values()) bot.pollNacks(now);
}, 10);

function send(message: unknown): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const message = raw as ParentMessage;
  void (async () => {
    switch (message.type) {
      case 'create': {
        const offers = await Promise.all(
          message.ids.map(async (id) => {
            const bot = new CountingBot();
            bots.set(id, bot);
            return { id, ...(await bot.offer()) };
          }),
        );
        send({ type: 'offers', offers });
        break;
      }
      case 'answer': {
        await bots.get(message.id)?.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        send({ type: 'answered', id: message.id });
        break;
      }
      case 'report': {
        const report: BotSliceReport = {
          bots: bots.size,
          lost: 0,
          expected: 0,
          framesDelivered: 0,
          framesExpected: 0,
          latencies: [],
          received: 0,
          light: 0,
        };
        for (const bot of bots.values()) bot.report(message.window, report);
        send({ type: 'report', ...report });
        break;
      }
      case 'status': {
        let receiving = 0;
        for (const bot of bots.values()) if (bot.received > 0) receiving++;
        send({ type: 'status', receiving });
        break;
      }
      case 'close': {
        await Promise.all([...bots.values()].map((b) => b.pc.close().catch(() => undefined)));
        process.exit(0);
      }
    }
  })().catch((err: unknown) => {
    console.error('bot worker:', err);
    process.exit(1);
  });
});

process.on('disconnect', () => process.exit(0));
