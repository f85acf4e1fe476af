/**
 * A stand-in for the webrtc node in browser tests of the SDK: answers the client's offers on
 * one werift peer connection per transport (renegotiating on later offers), applies trickled
 * candidates, and counts the RTP it receives. Publish only needs recvonly on our side; for the
 * browser's recvonly m-lines (subscribe) werift needs sendonly transceivers made beforehand
 * (trap 6 in the werift notes).
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useNACK,
  usePLI,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
} from 'werift';

export class WeriftAnswerer {
  private readonly pcs = new Map<string, RTCPeerConnection>();
  readonly rtpPackets = new Map<string, number>();
  readonly candidates: string[] = [];

  async answer(transportId: string, offer: string): Promise<{ sdp: string; connected: Promise<void> }> {
    let pc = this.pcs.get(transportId);
    if (!pc) {
      pc = this.create(transportId);
      this.pcs.set(transportId, pc);
    }
    const known = pc.getTransceivers().length;
    const sections = [...offer.matchAll(/^m=(audio|video) [\s\S]*?(?=^m=|$(?![\s\S]))/gm)];
    for (const [index, section] of sections.entries()) {
      if (index >= known && /a=recvonly/.test(section[0])) {
        pc.addTransceiver(section[1] as 'audio' | 'video', { direction: 'sendonly' });
      }
    }
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    const deadline = Date.now() + 5_000;
    while (pc.iceGatheringState !== 'complete' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const connectedPc = pc;
    const connected = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (connectedPc.connectionState === 'connected') resolve();
        else if (connectedPc.connectionState === 'failed' || connectedPc.connectionState === 'closed') {
          reject(new Error(`transport ${transportId} ${connectedPc.connectionState}`));
        } else return false;
        return true;
      };
      if (!check()) {
        const { unSubscribe } = connectedPc.connectionStateChange.subscribe(() => {
          if (check()) unSubscribe();
        });
      }
    });
    return { sdp: pc.localDescription?.sdp ?? '', connected };
  }

  async addCandidate(
    transportId: string,
    candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null },
  ): Promise<void> {
    this.candidates.push(candidate.candidate);
    const pc = this.pcs.get(transportId);
    if (!pc) return;
    await pc
      .addIceCandidate({
        candidate: candidate.candidate.replace(/^a=/, ''),
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
      })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const pc of this.pcs.values()) await pc.close();
    this.pcs.clear();
  }

  private create(transportId: string): RTCPeerConnection {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv4: true,
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: 90000,
            rtcpFeedback: [useNACK(), usePLI()],
          }),
        ],
      },
      // Simulcast offers need the rid extensions answered, or Chromium refuses the answer.
      headerExtensions: {
        audio: [useSdesMid()],
        video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()],
      },
    });
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe(() => {
        this.rtpPackets.set(transportId, (this.rtpPackets.get(transportId) ?? 0) + 1);
      });
    });
    return pc;
  }
}
