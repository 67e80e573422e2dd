import { createHash } from 'node:crypto';
import { ServiceId } from '@signalapp/libsignal-client';
// See relay-keys.ts: the dist entry is the one `nodenext` resolves.
import {
  GroupSendDerivedKeyPair,
  GroupSendEndorsementsResponse,
  GroupSendFullToken,
  type ServerSecretParams,
  type UuidCiphertext,
} from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { ProtocolError } from '@aviso/protocol';
import type { Clock } from '../shared/clock.js';

// A full token is 33 bytes today (44 base64 characters); anything much longer is not worth decoding.
const MAX_TOKEN_HEADER = 256;
// Tokens in use share a handful of day-aligned expirations; the bound only stops junk from growing the map.
const MAX_CACHED_KEY_PAIRS = 16;
// Tokens recently verified; a member sending alert after alert to the same group reuses its token all day.
const MAX_CACHED_VERIFICATIONS = 256;

/**
 * Group send endorsements (docs/alerts.md): issues them for a group's members and verifies the full
 * tokens that authorise group sends and prekey fetches without account credentials. The key pair for
 * an expiration is derived from the relay's zkgroup secret params, so nothing is stored.
 */
export class GroupSendTokens {
  private readonly keyPairs = new Map<number, GroupSendDerivedKeyPair>();
  /**
   * hash(token ‖ recipients) → the token's expiration (ms), for tokens that verified. libsignal's check
   * is deterministic in the token, the recipients and the derived key; only the time varies, and it is
   * checked again on every hit. Saves ~10 ms of zkgroup work per 1,000-recipient send.
   */
  private readonly verified = new Map<string, number>();

  constructor(private readonly deps: { serverSecretParams: ServerSecretParams; clock: Clock }) {}

  /** `GroupSendEndorsementsResponse` for `members` (in that order), expiring at `expiration` (seconds, day-aligned). */
  issue(members: UuidCiphertext[], expiration: number): GroupSendEndorsementsResponse {
    return GroupSendEndorsementsResponse.issue(members, this.keyPair(expiration * 1000));
  }

  /**
   * Verifies a base64 `GroupSendFullToken` against exactly the recipients `serviceIds` (service id
   * strings, as libsignal prints them) and returns a hash of it (a rate-limit key: the relay does not
   * know who holds the token). Missing, malformed, forged, expired or issued for another set:
   * UNAUTHORIZED, without saying which. Strings, not ServiceId objects: a cache hit then costs no
   * native call per recipient.
   */
  verify(header: string | undefined, serviceIds: readonly string[]): string {
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
    try {
      const token = new GroupSendFullToken(bytes);
      const expiresAt = token.getExpiration().getTime();
      token.verify(serviceIds.map((id) => ServiceId.parseFromServiceIdString(id)), this.keyPair(expiresAt), new Date(now));
      if (this.verified.size >= MAX_CACHED_VERIFICATIONS) this.verified.clear();
      this.verified.set(cacheKey, expiresAt);
    } catch (err) {
      throw new ProtocolError('UNAUTHORIZED', 'invalid group send token', { cause: err });
    }
    return tokenHash;
  }

  private keyPair(expirationMs: number): GroupSendDerivedKeyPair {
    let pair = this.keyPairs.get(expirationMs);
    if (pair === undefined) {
      // Throws for an expiration that is not day-aligned (libsignal's anti-fingerprinting rule).
      pair = GroupSendDerivedKeyPair.forExpiration(new Date(expirationMs), this.deps.serverSecretParams);
      if (this.keyPairs.size >= MAX_CACHED_KEY_PAIRS) this.keyPairs.clear();
      this.keyPairs.set(expirationMs, pair);
    }
    return pair;
  }
}
