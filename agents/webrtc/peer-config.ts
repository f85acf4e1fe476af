import {
  type PeerConfig,
  RTCRtpCodecParameters,
  useFIR,
  useNACK,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
} from 'werift';
import type { WebrtcConfig } from './webrtc-config.js';

/** H264 we answer with: constrained baseline, mode 1 (what every browser sends). */
export const H264_FMTP = 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1';

function videoFeedback() {
  // No transport-cc (trap 1): werift's feedback collapses Chromium's estimate; REMB instead.
  return [useNACK(), usePLI(), useFIR(), useREMB()];
}

/** The codecs a transport negotiates, in preference order. */
export function negotiatedCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  return {
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    video: [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: videoFeedback() }),
      new RTCRtpCodecParameters({ mimeType: 'video/VP9', clockRate: 90000, rtcpFeedback: videoFeedback() }),
      new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        rtcpFeedback: videoFeedback(),
        parameters: H264_FMTP,
      }),
    ],
  };
}

/** werift options with every default that bites set explicitly (trap 8). */
export function buildPeerConfig(config: WebrtcConfig): Partial<PeerConfig> {
  const [min, max] = config.portRange;
  const udp4 = config.interfaces[0];
  return {
    codecs: negotiatedCodecs(),
    headerExtensions: {
      audio: [useSdesMid()],
      video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()],
    },
    iceServers: config.iceServers.map((s) => ({ urls: s.urls })),
    iceAdditionalHostAddresses: config.additionalHostAddresses,
    iceInterfaceAddresses: udp4 ? { udp4 } : undefined,
    icePortRange: min === 0 && max === 0 ? undefined : [min, max],
    iceUseIpv4: true,
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
  };
}
