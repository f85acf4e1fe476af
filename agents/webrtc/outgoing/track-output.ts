/** What a track output needs of a frame (a MediaFrame fits). */
export interface TrackOutputFrame {
  /** In the stream's clock. */
  timestamp: number;
}

/** Counters of an outgoing track as the node's stats report them. */
export interface TrackOutputCounters {
  packets: number;
  octets: number;
  retransmitted: number;
  nacks: number;
}

/**
 * How a subscription's packetized frames leave the node on one transceiver: our own RTP path
 * (OwnTrackOutput, default) or werift's RTCRtpSender (WeriftTrackOutput, kept as the baseline;
 * `webrtc.outgoingPath = 'werift'`).
 */
export interface TrackOutput {
  /** false: not sent (DTLS not up yet). `sourceId` changes rebase timestamps. */
  sendFrame(frame: TrackOutputFrame, payloads: readonly Uint8Array[], sourceId: string): boolean;
  /** Sender report, if this path sends its own (called about once a second). */
  sendReport(nowMs?: number): void;
  rttMs(): number | undefined;
  counters(): TrackOutputCounters | undefined;
  close(): void;
}

export type OutgoingPath = 'own' | 'werift';
