import type { SchedulingCandidate } from '../candidate.js';
import type { SchedulePreference } from '../protocol.js';

/**
 * OWT's locality rule. The isp is a hard filter: a worker fits when its isps list is empty
 * (serves any) or names the preferred isp. The region is soft: when some fitting workers list
 * the preferred region only those are kept, otherwise every fitting worker stays.
 * An absent (or empty) preferred isp/region does not filter (OWT would drop every worker
 * that lists isps when the client names none; we prefer serving that client).
 */
export function matchIspRegion(
  preference: Pick<SchedulePreference, 'isp' | 'region'>,
  candidates: readonly SchedulingCandidate[],
): SchedulingCandidate[] {
  const { isp, region } = preference;
  const fitting = isp
    ? candidates.filter((c) => c.capacity.isps.length === 0 || c.capacity.isps.includes(isp))
    : [...candidates];
  if (!region) return fitting;
  const inRegion = fitting.filter((c) => c.capacity.regions.includes(region));
  return inRegion.length > 0 ? inRegion : fitting;
}
