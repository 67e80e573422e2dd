import { createHash } from 'node:crypto';
import type { PublicKey } from '@signalapp/libsignal-client';
import { fingerprintLines } from '@aviso/protocol';

/** The relay's trust root as members see and pin it. */
export interface TrustRootFingerprint {
  /** The 33-byte serialized public key (0x05 then 32 Curve25519 bytes), base64: `trustRoot` in GET /v1/relay. */
  trustRoot: string;
  /** SHA-256 of those 33 bytes, hex: what `… | base64 -d | sha256sum` prints. */
  sha256Hex: string;
  /** The same SHA-256, base64url: the `trustRootSha256` field every invite code carries and the SDK compares. */
  sha256Base64url: string;
  /** The hex digest as members' apps and CLI show it: 4 lines of 4 groups of 4 (`fingerprintLines`). */
  lines: string[];
}

export function trustRootFingerprint(trustRoot: PublicKey): TrustRootFingerprint {
  const bytes = trustRoot.serialize();
  const digest = createHash('sha256').update(bytes).digest();
  return {
    trustRoot: Buffer.from(bytes).toString('base64'),
    sha256Hex: digest.toString('hex'),
    sha256Base64url: digest.toString('base64url'),
    lines: fingerprintLines(digest.toString('hex')),
  };
}
