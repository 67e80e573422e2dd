import type { IdentityRecord } from './interfaces.js';

/**
 * What a changed identity key of a peer does (`AvisoClientOptions.identityChanges`):
 * - 'block' (default): the new key replaces the old as `unverified`; sending to the peer stops
 *   until the user accepts it (`acceptIdentity`) or verifies it (`setVerified`);
 * - 'trust': trust on change, the behaviour before: only a peer the user marked `verified` blocks.
 */
export type IdentityPolicy = 'block' | 'trust';

/**
 * Trust on first use, Signal's rules kept small:
 * - the first key seen for a peer is stored as `default`;
 * - a different key replaces it (callers raise 'identity-changed') as `unverified` (policy 'block',
 *   or a `verified` peer under 'trust'), else stays `default`;
 * - receiving is always allowed (the message is authenticated by the ratchet anyway);
 * - sending is allowed to the stored key unless it is `unverified`; to a different key never under
 *   'block' (it is recorded as changed first), under 'trust' unless the peer was `verified`.
 */
export function nextIdentity(
  existing: IdentityRecord | undefined,
  publicKey: Uint8Array,
  now: number,
  policy: IdentityPolicy = 'block',
): { record: IdentityRecord; changed: boolean } | undefined {
  if (!existing) return { record: { publicKey, verified: 'default', firstSeenAt: now, changedAt: now }, changed: false };
  if (sameBytes(existing.publicKey, publicKey)) return undefined;
  const verified = policy === 'trust' && existing.verified === 'default' ? 'default' : 'unverified';
  return { record: { publicKey, verified, firstSeenAt: existing.firstSeenAt, changedAt: now }, changed: true };
}

/** The record a changed key leaves under policy 'block' (undefined: nothing changed, or no earlier key). */
export function changedIdentity(existing: IdentityRecord | undefined, publicKey: Uint8Array, now: number): IdentityRecord | undefined {
  if (!existing) return undefined;
  return nextIdentity(existing, publicKey, now, 'block')?.record;
}

export function trustedForSending(existing: IdentityRecord | undefined, publicKey: Uint8Array, policy: IdentityPolicy = 'block'): boolean {
  if (!existing) return true;
  if (existing.verified === 'unverified') return false;
  if (existing.verified === 'verified' || policy === 'block') return sameBytes(existing.publicKey, publicKey);
  return true;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
