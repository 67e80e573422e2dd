import { createHash } from 'node:crypto';
import { ProtocolError } from '@aviso/protocol';
import type { Clock } from '../shared/clock.js';
import type { ZkWork } from './zk-workers.js';

// A full token is 33 bytes today (44 base64 characters); anything much longer is not worth decoding.
const MAX_TOKEN_HEADER = 256;
// Tokens recently verified; a member sending alert after alert to the same group reuses its token all day.
const MAX_CACHED_VERIFICATIONS = 256;

/**
 * Group send endorsements (docs/alerts.md): issues them for a group's members and verifies the full
 * tokens that authorise group sends and prekey fetches without account credentials. The key pair for
 * an expiration is derived from the relay's zkgroup secret params, so nothing is stored. The zkgroup
 * work itself runs off the event loop (ZkWork); only a cache hit is answered here.
 */
export class GroupSendTokens {  /**
   * hash(token ‖ recipients) → the token's expiration (ms), for tokens that verified. libsignal's check
   * is deterministic in the token, the recipients and the derived key; only the time varies, and it is
   * checked again on every hit. Saves ~10 ms of zkgroup work per 1,000-recipient send.
   */
  private readonly verified = new Map<string, number>();

  constructor(private readonly deps: { zk: ZkWork; clock: Clock }) {}

  /** A serialized `GroupSendEndorsementsResponse` for `members` (serialized ciphertexts, in that order), expiring at `expiration` (seconds, day-aligned). */
  issue(members: readonly Uint8Array[], expiration: number): Promise<Uint8Array> {
    return this.deps.zk.issueEndorsements(members, expiration);
  }

  /**
   * Verifies a base64 `GroupSendFullToken` against exactly the recipients `serviceIds` (service id
   * strings, as libsignal prints them) and returns a hash of it (a rate-limit key: the relay does not
   * know who holds the token). Missing, malformed, forged, expired or issued for another set:
   * UNAUTHORIZED, without saying which. Strings, not ServiceId objects: a cache hit then costs no
   * native call per recipient.
   */
  async verify(header: string | undefined, serviceIds: readonly string[]): Promise<string> {
    if (header === undefined || header.length === 0 || header.length > MAX_TOKEN_HEADER) {
      throw new ProtocolError('UNAUTHORIZED', 'missing or malformed group send token');
    }
    const bytes = new Uint8Array(Buffer.from(header, 'base64'));
    const tokenHash = createHash('sha256').update(bytes).digest('hex');
    const key = createHash('sha256').update(tokenHash);
    for (const id of serviceIds) key.update(id).update('\n');
    const cacheKey = key.digest('hex');
    const now = this.deps.clock.now();
    const expiration = this.verified.get(cacheKey);
    if (expiration !== undefined && now < expiration) return tokenHash;
    let expiresAt: number;
    try {
      expiresAt = await this.deps.zk.verifyFullToken(bytes, serviceIds, now);
    } catch (err) {
      if (err instanceof ProtocolError) throw err; // the workers' queue is full: RATE_LIMITED
      throw new ProtocolError('UNAUTHORIZED', 'invalid group send token', { cause: err });
    }
    if (this.verified.size >= MAX_CACHED_VERIFICATIONS) this.verified.clear();
    this.verified.set(cacheKey, expiresAt);
    return tokenHash;
  }
}
