import { ProtocolError } from '@aviso/protocol';
import type { RateLimitConfig } from '../../config.js';
import type { Clock } from './clock.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

// Buckets that have refilled completely carry no information; past this many we forget them.
const PRUNE_ABOVE = 10_000;

/**
 * In-memory token buckets keyed by an opaque string. Lost on restart, which errs toward letting
 * people through: the limits exist against scraping and floods, not as an accounting record.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillMs: number;

  constructor(
    private readonly config: RateLimitConfig,
    private readonly clock: Clock,
    /** Told of every refusal (the operator's metrics count them). */
    private readonly onRefused: () => void = () => {},
  ) {
    this.refillMs = config.refillSeconds * 1000;
  }

  /** Takes one token for `key` or throws RATE_LIMITED with `details.retryAfterSeconds`. */
  take(key: string): void {
    this.takeEach([key]);
  }

  /**
   * Takes one token from each of `keys` (distinct), or none of them: throws RATE_LIMITED with the
   * longest wait if any bucket is empty. A batch that is refused costs nothing, as a refused single
   * request does.
   */
  takeEach(keys: readonly string[]): void {
    const now = this.clock.now();
    const refilled = keys.map((key) => {
      const bucket = this.buckets.get(key) ?? { tokens: this.config.capacity, updatedAt: now };
      return Math.min(this.config.capacity, bucket.tokens + (now - bucket.updatedAt) / this.refillMs);
    });
    const lowest = Math.min(...refilled);
    if (lowest < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((1 - lowest) * this.refillMs) / 1000));
      keys.forEach((key, i) => this.buckets.set(key, { tokens: refilled[i]!, updatedAt: now }));
      this.onRefused();
      throw new ProtocolError('RATE_LIMITED', 'too many requests', { details: { retryAfterSeconds } });
    }
    keys.forEach((key, i) => this.buckets.set(key, { tokens: refilled[i]! - 1, updatedAt: now }));
    if (this.buckets.size > PRUNE_ABOVE) this.prune(now);
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.updatedAt) / this.refillMs >= this.config.capacity) this.buckets.delete(key);
    }
  }
}
