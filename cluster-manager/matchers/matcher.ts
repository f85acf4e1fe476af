import type { SchedulingCandidate } from '../candidate.js';
import type { SchedulePreference } from '../protocol.js';

/** Narrows the candidates to those fit for the preference; order is kept. */
export type Matcher = (
  preference: SchedulePreference,
  candidates: readonly SchedulingCandidate[],
) => SchedulingCandidate[];
