import type { AvisoStore, StoreChanges } from '../stores/interfaces.js';

/**
 * What this device learned about a group beyond its verified state (docs/alerts.md "Withheld
 * changes"), kept in the store's meta so a restart does not forget it:
 * - a *withheld claim*: a member's message named a version (and head hash) the relay would not
 *   serve us; while it stands we do not know whom the unseen changes removed, so we do not send;
 * - the *removed* accounts: every member a verified change removed, with the version, so that no
 *   later state (a bug, a restored store, a verifier change) gets us to encrypt to them unless a
 *   later verified change brought them back.
 */
export interface WithheldClaim {
  namedVersion: number;
  headHash: string;
  namedBy: string;
}

const claimKey = (groupId: string) => `groupWithheld:${groupId}`;
const removedKey = (groupId: string) => `groupRemoved:${groupId}`;

export function readClaim(store: Pick<AvisoStore, 'getMeta'>, groupId: string): WithheldClaim | undefined {
  const v = parse(store.getMeta(claimKey(groupId)));
  if (!v || typeof v !== 'object') return undefined;
  const c = v as Partial<WithheldClaim>;
  if (typeof c.namedVersion !== 'number' || typeof c.headHash !== 'string' || typeof c.namedBy !== 'string') return undefined;
  return { namedVersion: c.namedVersion, headHash: c.headHash, namedBy: c.namedBy };
}

/** Records a claim (the highest named version wins). */
export function claimChange(store: Pick<AvisoStore, 'getMeta'>, groupId: string, claim: WithheldClaim): StoreChanges {
  const existing = readClaim(store, groupId);
  if (existing && existing.namedVersion >= claim.namedVersion) return {};
  return { meta: { [claimKey(groupId)]: JSON.stringify(claim) } };
}

export function clearClaim(groupId: string): StoreChanges {
  return { meta: { [claimKey(groupId)]: '' } };
}

/** Accounts removed from the group by a verified change, with the version that removed them. */
export function readRemoved(store: Pick<AvisoStore, 'getMeta'>, groupId: string): Map<string, number> {
  const v = parse(store.getMeta(removedKey(groupId)));
  if (!v || typeof v !== 'object') return new Map();
  return new Map(Object.entries(v).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

export function removedChange(store: Pick<AvisoStore, 'getMeta'>, groupId: string, update: (removed: Map<string, number>) => void): StoreChanges {
  const removed = readRemoved(store, groupId);
  update(removed);
  return { meta: { [removedKey(groupId)]: JSON.stringify(Object.fromEntries(removed)) } };
}

function parse(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
