/**
 * How every surface shows a relay's fingerprint: the SHA-256 of its serialized trust root (33 bytes,
 * what `aviso-relay info` prints) as 64 lowercase hex digits, cut into 16 groups of 4 and 4 lines of
 * 4 groups, so two people can read it to each other aloud or hold two screens side by side. One
 * formatter, so the relay's CLI, the member CLI and the app never group it differently.
 */
export const FINGERPRINT_HEX_DIGITS = 64;
export const FINGERPRINT_GROUP_DIGITS = 4;
export const FINGERPRINT_GROUPS_PER_LINE = 4;

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The 64 hex digits of a fingerprint typed or pasted by a person: spaces, line breaks, dashes and
 * colons between groups are dropped and case is ignored. RangeError when what is left is not 64 hex
 * digits (a digit missing or mistyped must never compare as "close enough").
 */
export function parseFingerprint(text: string): string {
  if (typeof text !== 'string' || text.length > 256) throw new RangeError('a fingerprint is 64 hex digits');
  const hex = text.replace(/[\s:-]/g, '').toLowerCase();
  if (!HEX64.test(hex)) throw new RangeError('a fingerprint is 64 hex digits (0-9, a-f), in groups of 4');
  return hex;
}

/** 16 groups of 4 hex digits. RangeError unless `sha256Hex` is 64 hex digits. */
export function fingerprintGroups(sha256Hex: string): string[] {
  const hex = parseFingerprint(sha256Hex);
  const out: string[] = [];
  for (let i = 0; i < FINGERPRINT_HEX_DIGITS; i += FINGERPRINT_GROUP_DIGITS) out.push(hex.slice(i, i + FINGERPRINT_GROUP_DIGITS));
  return out;
}

/** 4 lines of 4 groups, groups separated by one space: `3f2a 9c10 77be 0d41`. */
export function fingerprintLines(sha256Hex: string): string[] {
  const groups = fingerprintGroups(sha256Hex);
  const out: string[] = [];
  for (let i = 0; i < groups.length; i += FINGERPRINT_GROUPS_PER_LINE) out.push(groups.slice(i, i + FINGERPRINT_GROUPS_PER_LINE).join(' '));
  return out;
}
