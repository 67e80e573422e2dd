import { ProtocolError, type EndorsementsResponse } from '@aviso/protocol';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { GroupsStore } from '../../ports/groups.js';
import { fromBase64, toBase64 } from '../shared/bytes.js';
import { DAY_MS } from '../shared/clock.js';
import type { GroupAuthService } from './group-auth.js';
import type { GroupSendTokens } from './group-send-tokens.js';
import type { GroupCredentials } from './groups.js';

const DEFAULT_CACHE_ENTRIES = 256;

/**
 * `GET /v1/groups/:groupId/endorsements`: group send endorsements for the current members, for
 * members only. Issuing costs about 0.1 ms per member (in a worker thread, off the event loop), so a
 * response is cached per (group, version, expiration): every membership change bumps the version,
 * so a cached response never outlives the member list it was issued for.
 */
export class EndorsementsService {
  // Map iteration order is insertion order: re-inserting on a hit makes the first key the least recently used.
  private readonly cache = new Map<string, EndorsementsResponse>();
  /**
   * Issuing runs in a worker and takes a while for a large group: members who ask meanwhile (after
   * a join, the whole group may ask at once) wait for the same issue instead of starting their own.
   */
  private readonly issuing = new Map<string, Promise<EndorsementsResponse>>();

  constructor(
    private readonly deps: {
      groups: Synchronous<GroupsStore>;
      auth: GroupAuthService;
      tokens: GroupSendTokens;
      clock: { now(): number };
      cacheEntries?: number;
    },
  ) {}

  async get(groupId: string, creds: GroupCredentials): Promise<EndorsementsResponse> {
    const group = this.deps.groups.get(groupId);
    if (!group) throw new ProtocolError('NOT_FOUND', 'no such group');
    const member = this.deps.auth.verify(creds.presentation, group.publicParams);
    // Pending members are not members yet: they may read the log, not send to the group.
    if (this.deps.groups.member(groupId, member) === undefined) throw new ProtocolError('NOT_A_MEMBER', 'not a member of this group');

    const expiration = endorsementExpiration(this.deps.clock.now());
    const key = `${groupId}:${group.version}:${expiration}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const inFlight = this.issuing.get(key);
    if (inFlight !== undefined) return inFlight;
    // The member list is read now, at this version: the key names the version, so it stays right.
    const members = this.deps.groups.memberCiphertexts(groupId);
    const publicParams = toBase64(group.publicParams);
    const issued = this.deps.tokens
      .issue(
        members.map((m) => fromBase64(m)),
        expiration,
      )
      .then((response): EndorsementsResponse => {
        const result: EndorsementsResponse = { expiration, members, response: toBase64(response), publicParams };
        this.remember(key, result);
        return result;
      })
      .finally(() => this.issuing.delete(key));
    this.issuing.set(key, issued);
    return issued;
  }

  private remember(key: string, result: EndorsementsResponse): void {
    this.cache.set(key, result);
    const limit = this.deps.cacheEntries ?? DEFAULT_CACHE_ENTRIES;
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= limit) break;
      this.cache.delete(oldest);
    }
  }
}

/**
 * The next UTC midnight plus one day, in seconds: day-aligned and 24 to 48 hours ahead, inside the
 * window libsignal clients accept (at least 2 hours, at most 7 days), and the same for every group
 * all day, so the expiration cannot single a group or a member out.
 */
export function endorsementExpiration(nowMs: number): number {
  return ((Math.floor(nowMs / DAY_MS) + 2) * DAY_MS) / 1000;
}
