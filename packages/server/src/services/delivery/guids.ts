import { createCipheriv } from 'node:crypto';

const ZERO_IV = Buffer.alloc(16);
/** An RFC 4122 variant digit (8, 9, a or b) for any hex digit. */
const VARIANT: Record<string, string> = Object.fromEntries([...'0123456789abcdef'].map((d) => [d, (8 | (parseInt(d, 16) & 3)).toString(16)]));

/**
 * The guids of a group send's `count` envelopes, made from 16 random bytes kept with the send until
 * its envelope rows are written: the same seed gives the same guids, so envelopes rebuilt after a
 * crash carry the guids their members may already have seen (clients deduplicate on the guid).
 * Envelope `i` gets AES-128-CTR keystream block `i` under the seed, shaped as a version 4 UUID: one
 * native call for the whole send, and without the seed (deleted with the pending row) the guids of
 * one send look unrelated, like random ones. Returns the keystream as hex; `guidAt` reads one guid.
 */
export function guidKeystream(seed: Uint8Array, count: number): string {
  if (seed.length !== 16) throw new Error('a fan-out guid seed is 16 bytes');
  return createCipheriv('aes-128-ctr', seed, ZERO_IV).update(Buffer.alloc(count * 16)).toString('hex');
}

/** Envelope `i`'s guid from a `guidKeystream`: made when needed, not kept per envelope. */
export function guidAt(hex: string, i: number): string {
  const at = i * 32;
  return `${hex.slice(at, at + 8)}-${hex.slice(at + 8, at + 12)}-4${hex.slice(at + 13, at + 16)}-${VARIANT[hex[at + 16] ?? '0']}${hex.slice(at + 17, at + 20)}-${hex.slice(at + 20, at + 32)}`;
}

/** Every guid of a send, in order. */
export function fanoutGuids(seed: Uint8Array, count: number): string[] {
  const hex = guidKeystream(seed, count);
  return Array.from({ length: count }, (_, i) => guidAt(hex, i));
}
