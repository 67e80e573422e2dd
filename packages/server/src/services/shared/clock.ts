/** Time source for services; tests inject a manual one instead of faking timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

/** Whole UTC days since the epoch: the only granularity the relay keeps for "when" metadata about accounts. */
export function dayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}
