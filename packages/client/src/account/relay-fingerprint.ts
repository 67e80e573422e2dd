import { PublicKey } from '@signalapp/libsignal-client';
import { ENDPOINTS, fingerprintLines, type RelayInfo } from '@aviso/protocol';
import { sha256 } from '../crypto/group-keys.js';
import { RelayRequestError } from '../errors.js';
import { RelayHttp, type FetchLike } from '../transport/http.js';
import { fromBase64, toBase64 } from '../util/bytes.js';

/**
 * A relay's fingerprint, the thing a member compares with what their organiser or the relay's
 * operator gave them (`aviso-relay info` prints the same digest in the same groups).
 */
export interface RelayFingerprint {
  /** SHA-256 of the 33-byte serialized trust root, 64 lowercase hex digits. */
  sha256Hex: string;
  /** The same digits as shown to people: 4 lines of 4 groups of 4 (`fingerprintLines` in @aviso/protocol). */
  lines: string[];
  /** The serialized trust root itself, base64 (`trustRoot` in GET /v1/relay). */
  trustRoot: string;
}

/** The fingerprint of a serialized trust root (33 bytes: 0x05 then the Curve25519 key). */
export function relayFingerprintOf(trustRoot: Uint8Array): RelayFingerprint {
  const sha256Hex = Buffer.from(sha256(trustRoot)).toString('hex');
  return { sha256Hex, lines: fingerprintLines(sha256Hex), trustRoot: toBase64(trustRoot) };
}

/**
 * The trust root a `GET /v1/relay` answer carries, after checking it is a public key libsignal
 * accepts: a relay answering 33 bytes that are no key is refused here, before anyone compares it.
 */
export function trustRootOf(info: Pick<RelayInfo, 'trustRoot'>): Uint8Array {
  const bytes = fromBase64(info.trustRoot);
  try {
    PublicKey.deserialize(Buffer.from(bytes));
  } catch (err) {
    throw new RelayRequestError({ code: 'BAD_RESPONSE', status: 200, retryable: false, message: 'GET /v1/relay: the trust root is not a public key' }, { cause: err });
  }
  return bytes;
}

export interface FetchRelayFingerprintOptions {
  fetch?: FetchLike | undefined;
  /** HTTP timeout, ms (default 15000). */
  timeoutMs?: number | undefined;
}

/**
 * Reads a relay's fingerprint before registering with it: one unauthenticated `GET /v1/relay`, no
 * identity, nothing stored. Show `lines` to the member to compare with their organiser's; then pass
 * `sha256Hex` to `register({ …, expectFingerprint })` so that registration pins that same trust root
 * or fails (the relay cannot swap it between the check and the registration).
 *
 * TypeError for an address that is not http:// or https://; RelayRequestError for a relay that does
 * not answer (NETWORK_ERROR, TIMEOUT, TLS_UNTRUSTED) or answers something that is not relay info
 * (BAD_RESPONSE).
 */
export async function fetchRelayFingerprint(relayUrl: string, opts: FetchRelayFingerprintOptions = {}): Promise<RelayFingerprint> {
  let url: URL;
  try {
    url = new URL(relayUrl);
  } catch {
    throw new TypeError('the relay address is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('the relay address must start with http:// or https://');
  const http = new RelayHttp({ baseUrl: relayUrl, fetch: opts.fetch, timeoutMs: opts.timeoutMs });
  return relayFingerprintOf(trustRootOf(await http.call(ENDPOINTS.relayInfo, {})));
}
