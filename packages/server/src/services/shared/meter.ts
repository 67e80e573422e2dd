/**
 * What the relay counts for its operator's monitoring (metrics/prometheus.ts exports it when
 * AVISO_METRICS_PORT is set). Totals only: nothing here takes an account, device or group id, so
 * no metric can carry one.
 */
export interface RelayMeter {
  /** Envelopes accepted for delivery, one per recipient device (1:1 and group sends). */
  envelopesQueued(count: number): void;
  /** Envelopes a recipient device acknowledged. */
  envelopesDelivered(count: number): void;
  /** A request refused by a rate limit or a connection cap. */
  rateLimited(limit: RateLimitName): void;
  websocketOpened(): void;
  websocketClosed(): void;
}

export type RateLimitName = 'send' | 'group_send' | 'keys' | 'keys_requester' | 'keys_group' | 'register' | 'websockets';

/** The meter when metrics are off: counting costs nothing. */
export const noMeter: RelayMeter = {
  envelopesQueued: () => {},
  envelopesDelivered: () => {},
  rateLimited: () => {},
  websocketOpened: () => {},
  websocketClosed: () => {},
};
