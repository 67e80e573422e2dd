import type { IdentityRecord } from './interfaces.js';

/**
 * Trust on first use, Signal's rules kept small:
 * - the first key seen for a peer is stored as `default`;
 * - a different key replaces it (callers raise 'identity-changed'); a `verified` peer becomes
 *   `unverified`, anyone else stays `default`;
 * - receiving is always allowed (the message is authenticated by the ratchet anyway);
 * - sending is allowed except to an `unverified` peer or to a changed key of a `verified` peer,
 *   until the user verifies again or accepts the change (`setVerified`).
 */
export function nextIdentity(
  existing: IdentityRecord | undefined,
  publicKey: Uint8Array,
  now: number,
): { record: IdentityRecord; changed: boolean } | undefined {
  if (!existing) return { record: { publicKey, verified: 'default', firstSeenAt: now, changedAt: now }, changed: false };
  if (sameBytes(existing.publicKey, publicKey)) return undefined;
  return {
    record: { publicKey, verified: existing.verified === 'default' ? 'default' : 'unverified', firstSeenAt: existing.firstSeenAt, changedAt: now },
    changed: true,
  };
}

export function trustedForSending(existing: IdentityRecord | undefined, publicKey: Uint8Array): boolean {
  if (!existing) return true;
  if (existing.verified === 'unverified') return false;
  if (existing.verified === 'verified') return sameBytes(existing.publicKey, publicKey);
  return true;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
