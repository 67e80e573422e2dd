import type { GroupState } from '../stores/group-state.js';
import { fromBase64 } from '../util/bytes.js';

/**
 * The identity keys the verified group log binds to its members (docs/alerts.md "Identity keys"):
 * the only keys a group message is encrypted to, and the only keys a member's group messages are
 * accepted under. The relay serves prekey bundles and signs sender certificates, so it could
 * otherwise put any key behind a member's account id.
 */
export type KeyVerdict = 'ok' | 'key-mismatch' | 'no-verified-key';

export class MemberKeys {
  /** Decoded log keys by their base64 text: a send to a thousand members decodes each once. */
  readonly #decoded = new Map<string, Uint8Array | null>();

  /** The log's key of a member record (undefined: no usable key). */
  keyOf(member: { identityKey?: string | undefined }): Uint8Array | undefined {
    return this.#decode(member.identityKey);
  }

  /** Log keys of every member of `state` by account id (undefined: the log holds no usable key). */
  byAccount(state: GroupState): Map<string, Uint8Array | undefined> {
    const out = new Map<string, Uint8Array | undefined>();
    for (const m of Object.values(state.members)) out.set(m.accountId, this.#decode((m as { identityKey?: string | undefined }).identityKey));
    return out;
  }

  #decode(text: string | undefined): Uint8Array | undefined {
    if (typeof text !== 'string' || text.length === 0) return undefined;
    let bytes = this.#decoded.get(text);
    if (bytes === undefined) {
      let decoded: Uint8Array | null = null;
      try {
        decoded = fromBase64(text);
      } catch {
        decoded = null;
      }
      // A serialized Curve25519 public key is 33 bytes (type byte 0x05, then the key).
      bytes = decoded && decoded.length === 33 && decoded[0] === 0x05 ? decoded : null;
      if (this.#decoded.size > 100_000) this.#decoded.clear();
      this.#decoded.set(text, bytes);
    }
    return bytes ?? undefined;
  }
}

/** Whether `key` (a key the relay served, or the one we stored) is `expected`, the log's key. */
export function checkKey(expected: Uint8Array | undefined, key: Uint8Array | undefined): KeyVerdict {
  if (!expected) return 'no-verified-key';
  if (!key) return 'key-mismatch';
  return key.length === expected.length && Buffer.compare(Buffer.from(key.buffer, key.byteOffset, key.length), Buffer.from(expected.buffer, expected.byteOffset, expected.length)) === 0 ? 'ok' : 'key-mismatch';
}
