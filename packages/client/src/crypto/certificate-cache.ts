import type { PublicKey, SenderCertificate } from '@signalapp/libsignal-client';

/**
 * Certificates remembered at most. A drain sees one per sender device (a certificate lasts a day);
 * past the cap the cache starts over, so a flood of distinct certificates costs only their checks.
 */
export const VALIDATED_CERTIFICATES_MAX = 1024;

/**
 * Sender certificates already checked against one trust root, by their exact serialized bytes.
 *
 * libsignal's `SenderCertificate.validate(trustRoot, time)` checks three things: the server
 * certificate is signed by the trust root (and its key id is not revoked), the sender certificate
 * is signed by that server key, and it has not expired at `time` (valid through its expiration
 * millisecond). The two signatures depend only on the bytes and the trust root, and they are most
 * of an envelope's certificate cost (two XEdDSA verifications): they are checked once per distinct
 * certificate. Expiry depends on the envelope's timestamp: it is checked on every envelope, cached or not.
 *
 * Only a certificate that passed the full check is remembered; one that failed is checked in full
 * again next time. The key is the whole certificate (sender, device, identity key, expiration,
 * server certificate, signatures): any other bytes are another entry and checked on their own.
 */
export class ValidatedCertificates {
  #trustRoot: PublicKey | undefined;
  /** Serialized certificate (base64) → its expiration, ms. */
  readonly #expirations = new Map<string, number>();

  /** What `cert.validate(trustRoot, at)` answers (false where it throws). */
  isValid(cert: SenderCertificate, trustRoot: PublicKey, at: number): boolean {
    // Another trust root (the account was re-registered elsewhere) vouches for none of these.
    if (this.#trustRoot !== trustRoot && !this.#trustRoot?.equals(trustRoot)) {
      this.#expirations.clear();
      this.#trustRoot = trustRoot;
    }
    const key = Buffer.from(cert.serialize()).toString('base64');
    const expiration = this.#expirations.get(key);
    if (expiration !== undefined) return at <= expiration;
    let valid = false;
    try {
      valid = cert.validate(trustRoot, at);
    } catch {
      valid = false;
    }
    if (valid) {
      if (this.#expirations.size >= VALIDATED_CERTIFICATES_MAX) this.#expirations.clear();
      this.#expirations.set(key, cert.expiration());
    }
    return valid;
  }

  get size(): number {
    return this.#expirations.size;
  }
}
