/**
 * How `aviso listen` waits for a relay that is down when it starts: the first retry after
 * `firstSeconds`, each next one twice as long, never more than `maxSeconds`, each delay shifted at
 * random by up to a fifth either way. The jitter matters when a relay comes back after an outage:
 * every member's listen would otherwise knock at the same second. Once connected, the SDK's own
 * reconnection takes over (docs/sdk.md). `AVISO_LISTEN_RETRY=FIRST,MAX` (seconds, decimals allowed)
 * changes the two bounds; the tests use it to retry within milliseconds.
 */
export interface RetryPolicy {
  firstSeconds: number;
  maxSeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstSeconds: 2, maxSeconds: 60 };
/** Either way, as a fraction of the delay. */
export const RETRY_JITTER = 0.2;

/** The policy from AVISO_LISTEN_RETRY, or the default when it is unset or not two positive numbers. */
export function retryPolicy(env: Record<string, string | undefined>): RetryPolicy {
  const parts = env['AVISO_LISTEN_RETRY']?.split(',').map((p) => Number(p.trim()));
  if (!parts || parts.length !== 2 || !parts.every((n) => Number.isFinite(n) && n > 0)) return DEFAULT_RETRY;
  const [firstSeconds, maxSeconds] = parts as [number, number];
  return { firstSeconds, maxSeconds: Math.max(firstSeconds, maxSeconds) };
}

/** Milliseconds to wait after failed attempt `attempt` (0 for the first failure). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxSeconds, policy.firstSeconds * 2 ** Math.min(attempt, 30));
  const jittered = base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random());
  return Math.round(Math.min(policy.maxSeconds, jittered) * 1000);
}
