import { createHash, randomBytes } from 'node:crypto';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { RegistrationTokenRecord, TokensStore } from '../../ports/tokens.js';
import { MINUTE_MS, type Clock } from '../shared/clock.js';

/** The relay keeps only this hash of a registration token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * 32 random bytes, base64url, never starting with `-`: a token is pasted as a command-line argument
 * (`aviso register <relay> <token>`), where a leading dash reads as an option. Redrawing the 1 in 64
 * that start with one costs under 0.03 bits of the 256.
 */
export function newToken(): string {
  for (;;) {
    const token = randomBytes(32).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}

export interface CreatedToken extends RegistrationTokenRecord {
  /** The token to hand out. Shown once; the relay cannot recover it. */
  token: string;
}

export class TokensService {
  constructor(
    private readonly tokens: Synchronous<TokensStore>,
    private readonly clock: Clock,
  ) {}

  /** A new token (32 random bytes, base64url) good for `uses` registrations within `ttlMs`. */
  create(options: { uses: number; ttlMs: number }): CreatedToken {
    if (!Number.isInteger(options.uses) || options.uses < 1) throw new RangeError('uses must be a positive integer');
    if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) throw new RangeError('ttlMs must be positive');
    const token = newToken();
    // Rounded up to the minute: an exact expiry minus a usual TTL would date the token's creation
    // (for a member-minted one, when that member made an invite) to the millisecond.
    const expiresAt = Math.ceil((this.clock.now() + options.ttlMs) / MINUTE_MS) * MINUTE_MS;
    const record = { hash: hashToken(token), usesLeft: options.uses, expiresAt };
    this.tokens.insert(record);
    return { ...record, token };
  }

  /** Live tokens (expired ones are removed first). */
  list(): RegistrationTokenRecord[] {
    this.tokens.deleteExpired(this.clock.now());
    return this.tokens.list();
  }

  /** Tokens whose hash starts with `prefix` (case-insensitive hex). */
  find(prefix: string): RegistrationTokenRecord[] {
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f]+$/.test(p)) return [];
    return this.tokens.findByPrefix(p);
  }

  revoke(hash: string): boolean {
    return this.tokens.delete(hash);
  }
}
