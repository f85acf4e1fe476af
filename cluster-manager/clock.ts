/** Milliseconds now. Injected so that tests drive time by hand instead of sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
