/**
 * A small stand-in for the browser's RTCPeerConnection, enough for the SDK's negotiation
 * logic: transceivers get mids on setLocalDescription, offers list one m-section per
 * transceiver, one local candidate is gathered after the first setLocalDescription, and every
 * call is logged (shared log, so tests can check the order across operations).
 */

export interface FakeTrack {
  kind: 'audio' | 'video';
  id: string;
}

export function fakeStream(kinds: ('audio' | 'video')[]): {
  getTracks(): FakeTrack[];
  getAudioTracks(): FakeTrack[];
  getVideoTracks(): FakeTrack[];
} {
  const tracks = kinds.map((kind, i) => ({ kind, id: `${kind}-${i}` }));
  return {
    getTracks: () => tracks,
    getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
    getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
  };
}

export interface TransceiverInit {
  direction?: string;
  sendEncodings?: { rid?: string; scaleResolutionDownBy?: number; maxBitrate?: number }[];
}

export class FakeTransceiver {
  mid: string | null = null;
  stopped = false;
  readonly sender: { track: FakeTrack | null; replaceTrack(track: FakeTrack | null): Promise<void> };
  readonly receiver: { track: FakeTrack };

  constructor(
    readonly kind: 'audio' | 'video',
    readonly direction: string,
    readonly init: TransceiverInit,
    track: FakeTrack | null,
    index: number,
  ) {
    this.sender = {
      track,
      replaceTrack(next) {
        this.track = next;
        return Promise.resolve();
      },
    };
    this.receiver = { track: { kind, id: `remote-${kind}-${index}` } };
  }

  stop(): void {
    this.stopped = true;
  }
}

export const CANDIDATE = 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0';

export class FakePeerConnection extends EventTarget {
  readonly transceivers: FakeTransceiver[] = [];
  signalingState = 'stable';
  connectionState = 'new';
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  closed = false;
  private nextMid = 0;
  private gathered = false;
  private assignedByOffer: FakeTransceiver[] = [];

  constructor(
    readonly configuration: unknown,
    readonly log: string[],
  ) {
    super();
  }

  addTransceiver(trackOrKind: FakeTrack | 'audio' | 'video', init: TransceiverInit = {}): FakeTransceiver {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const kind = typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind;
    const transceiver = new FakeTransceiver(
      kind,
      init.direction ?? 'sendrecv',
      init,
      track,
      this.transceivers.length,
    );
    this.transceivers.push(transceiver);
    this.log.push(`addTransceiver ${kind} ${transceiver.direction}`);
    return transceiver;
  }

  /** Sections for every transceiver that has or would get a mid (stopped unnegotiated ones vanish). */
  private sections(): { transceiver: FakeTransceiver; mid: string }[] {
    let next = this.nextMid;
    return this.transceivers
      .filter((t) => t.mid !== null || !t.stopped)
      .map((t) => ({ transceiver: t, mid: t.mid ?? String(next++) }));
  }

  async createOffer(): Promise<{ type: 'offer'; sdp: string }> {
    this.log.push('createOffer');
    const lines = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];
    const sections = this.sections();
    lines.push(`a=group:BUNDLE ${sections.map((s) => s.mid).join(' ')}`);
    for (const { transceiver, mid } of sections) {
      if (transceiver.kind === 'audio') {
        lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 111 0', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000');
      } else {
        lines.push(
          'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 102',
          'a=rtpmap:96 VP8/90000',
          'a=rtpmap:97 rtx/90000',
          'a=fmtp:97 apt=96',
          'a=rtpmap:98 VP9/90000',
          'a=rtpmap:102 H264/90000',
        );
      }
      lines.push(`a=mid:${mid}`, `a=${transceiver.direction}`);
      for (const encoding of transceiver.init.sendEncodings ?? []) {
        if (encoding.rid) lines.push(`a=rid:${encoding.rid} send`);
      }
    }
    return { type: 'offer', sdp: `${lines.join('\r\n')}\r\n` };
  }

  async setLocalDescription(description: { type: string; sdp?: string }): Promise<void> {
    this.log.push(`setLocalDescription ${description.type}`);
    if (description.type === 'rollback') {
      // As the spec says: mids the rolled-back offer gave out return to null.
      for (const transceiver of this.assignedByOffer) transceiver.mid = null;
      this.nextMid -= this.assignedByOffer.length;
      this.assignedByOffer = [];
      this.signalingState = 'stable';
      return;
    }
    this.assignedByOffer = [];
    for (const { transceiver, mid } of this.sections()) {
      if (transceiver.mid === null) {
        transceiver.mid = mid;
        this.assignedByOffer.push(transceiver);
        this.nextMid = Number(mid) + 1;
      }
    }
    this.localDescription = { type: description.type, sdp: description.sdp ?? '' };
    this.signalingState = 'have-local-offer';
    if (!this.gathered) {
      this.gathered = true;
      setTimeout(() => this.gather(), 0);
    }
  }

  async setRemoteDescription(description: { type: string; sdp: string }): Promise<void> {
    this.log.push(`setRemoteDescription ${description.type}`);
    if (this.signalingState !== 'have-local-offer') throw new Error('InvalidStateError: no local offer');
    if (description.sdp.includes('a=reject-me')) throw new Error('OperationError: bad answer');
    this.remoteDescription = description;
    this.signalingState = 'stable';
  }

  close(): void {
    this.closed = true;
    this.connectionState = 'closed';
    this.log.push('close');
  }

  /** Pretends ICE failed. */
  fail(): void {
    this.connectionState = 'failed';
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  private gather(): void {
    if (this.closed) return;
    const event = Object.assign(new Event('icecandidate'), {
      candidate: { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 },
    });
    this.dispatchEvent(event);
    this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: null }));
  }
}
