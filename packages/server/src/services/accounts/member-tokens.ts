import { ProtocolError } from '@aviso/protocol';
import type { AuthenticatedDevice } from './accounts.js';
import { DAY_MS, dayNumber, type Clock } from '../shared/clock.js';
import { hashToken, type TokensService } from './tokens.js';

/** Longest a member-minted token lives. */
export const MEMBER_TOKEN_MAX_TTL_MS = 30 * DAY_MS;

// Past this many accounts in the map, entries from earlier days are dropped.
const PRUNE_ABOVE = 10_000;

/**
 * Registration tokens minted by members for their invite codes. Each account may enable at most
 * `perDay` registrations (the sum of its tokens' uses) per UTC day; 0 turns minting off. Counted in
 * memory, so a restart forgets the counts: nothing on disk records which account minted a token.
 */
export class MemberTokensService {
  private readonly used = new Map<string, { day: number; uses: number }>();

  constructor(
    private readonly deps: { tokens: TokensService; clock: Clock; perDay: number },
  ) {}

  mint(device: AuthenticatedDevice, req: { uses: number; expiresAt: number }): { token: string; expiresAt: number } {
    const { perDay } = this.deps;
    if (perDay === 0) throw new ProtocolError('FORBIDDEN', 'this relay does not let members mint registration tokens');
    const now = this.deps.clock.now();
    if (req.expiresAt <= now) throw new ProtocolError('BAD_REQUEST', 'expiresAt must be in the future');
    if (req.uses > perDay) throw new ProtocolError('BAD_REQUEST', `a member may enable at most ${perDay} registrations per day`);
    const day = dayNumber(now);
    const entry = this.used.get(device.accountId);
    const usedToday = entry?.day === day ? entry.uses : 0;
    if (usedToday + req.uses > perDay) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((day + 1) * DAY_MS - now) / 1000));
      throw new ProtocolError('RATE_LIMITED', 'daily registration token allowance used up', { details: { retryAfterSeconds } });
    }
    const expiresAt = Math.min(req.expiresAt, now + MEMBER_TOKEN_MAX_TTL_MS);
    const created = this.deps.tokens.create({ uses: req.uses, ttlMs: expiresAt - now });
    this.used.set(device.accountId, { day, uses: usedToday + req.uses });
    if (this.used.size > PRUNE_ABOVE) {
      for (const [k, v] of this.used) if (v.day !== day) this.used.delete(k);
    }
    return { token: created.token, expiresAt: created.expiresAt };
  }

  /**
   * Revokes a token its holder presents (see RevokeTokenRequest): false if it was unknown, expired
   * or used up. Holding it is the authority: the relay records no minter, by design. Does not give
   * back the day's allowance.
   */
  revoke(token: string): boolean {
    return this.deps.tokens.revoke(hashToken(token));
  }
}
