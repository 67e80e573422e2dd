import { Aci, Fingerprint, type PublicKey } from '@signalapp/libsignal-client';

/** Signal's parameters: 5200 iterations, version 2, ACI UUID bytes as identifiers. */
const ITERATIONS = 5200;
const VERSION = 2;

/** The 60-digit safety number both parties see identically; compare out of band to rule out a MITM. */
export function safetyNumber(ourAccountId: string, ourKey: PublicKey, theirAccountId: string, theirKey: PublicKey): string {
  return Fingerprint.new(
    ITERATIONS,
    VERSION,
    Aci.fromUuid(ourAccountId).getRawUuidBytes(),
    ourKey,
    Aci.fromUuid(theirAccountId).getRawUuidBytes(),
    theirKey,
  )
    .displayableFingerprint()
    .toString();
}
