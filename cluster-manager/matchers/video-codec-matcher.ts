import type { SchedulingCandidate } from '../candidate.js';
import type { SchedulePreference } from '../protocol.js';

/**
 * Video workers must be able to encode every codec and decode every codec the task needs.
 * Codec names compare case-insensitively ('H264' = 'h264'). A preference without codecs
 * accepts every worker.
 */
export function matchVideoCodecs(
  preference: Pick<SchedulePreference, 'video'>,
  candidates: readonly SchedulingCandidate[],
): SchedulingCandidate[] {
  const encode = normalize(preference.video?.encode);
  const decode = normalize(preference.video?.decode);
  if (encode.length === 0 && decode.length === 0) return [...candidates];
  return candidates.filter((c) => {
    const video = c.capacity.video;
    if (!video) return false;
    return covers(normalize(video.encode), encode) && covers(normalize(video.decode), decode);
  });
}

function normalize(codecs: readonly string[] | undefined): string[] {
  return (codecs ?? []).map((c) => c.toLowerCase());
}

function covers(offered: readonly string[], required: readonly string[]): boolean {
  return required.every((codec) => offered.includes(codec));
}
