import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Aci } from '@signalapp/libsignal-client';
import { canonicalJson, pad, unpad } from '@aviso/protocol';
import { copyBytes, fromBase64, toBase64 } from '../util/bytes.js';
import { ClientZkGroupCipher, GroupMasterKey, GroupSecretParams, UuidCiphertext } from './zkgroup.js';

/**
 * Sans-I/O key handling for private groups (docs/groups.md "Keys and identifiers" and "Invites").
 * Everything here is deterministic given its inputs except blob encryption (random nonce).
 */

export const ZERO_HASH = toBase64(new Uint8Array(32));

/** Keys of one group, derived from its 32-byte master key. */
export class GroupKeys {
  readonly secretParams: GroupSecretParams;
  readonly cipher: ClientZkGroupCipher;
  /** 97-byte `GroupPublicParams`, what the relay gets. */
  readonly publicParams: Uint8Array<ArrayBuffer>;
  /** Hex of the 32-byte group identifier. */
  readonly groupId: string;

  constructor(readonly masterKey: Uint8Array) {
    if (masterKey.length !== 32) throw new RangeError('a group master key is 32 bytes');
    this.secretParams = GroupSecretParams.deriveFromMasterKey(new GroupMasterKey(copyBytes(masterKey)));
    this.cipher = new ClientZkGroupCipher(this.secretParams);
    const pub = this.secretParams.getPublicParams();
    this.publicParams = pub.serialize();
    this.groupId = Buffer.from(pub.getGroupIdentifier().serialize()).toString('hex');
  }

  /** The member's per-group pseudonym (base64 `UuidCiphertext`, deterministic). */
  pseudonym(accountId: string): string {
    return toBase64(this.cipher.encryptServiceId(Aci.fromUuid(accountId)).serialize());
  }

  /** The account behind a pseudonym, or undefined if it is not an ACI ciphertext of this group. */
  accountOf(pseudonym: string): string | undefined {
    try {
      const sid = this.cipher.decryptServiceId(new UuidCiphertext(fromBase64(pseudonym)));
      return sid instanceof Aci ? sid.getRawUuid().toLowerCase() : undefined;
    } catch {
      return undefined;
    }
  }

  /** encryptBlob(pad(utf8(JSON))): padded so a title's or name's length does not leak. */
  sealJson(value: unknown): string {
    return toBase64(this.cipher.encryptBlob(copyBytes(pad(new TextEncoder().encode(JSON.stringify(value))))));
  }

  /** Inverse of sealJson; undefined when the blob does not decrypt or is not padded JSON. */
  openJson(blob: string): unknown {
    try {
      const plain = unpad(this.cipher.decryptBlob(fromBase64(blob)));
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) as unknown;
    } catch {
      return undefined;
    }
  }
}

export const sha256 = (data: Uint8Array | string): Uint8Array<ArrayBuffer> => new Uint8Array(createHash('sha256').update(data).digest());

/** The two keys an invite secret yields: one for the relay (password), one for members (join MACs). */
export function deriveInviteKeys(inviteSecret: Uint8Array): { relayPassword: Uint8Array<ArrayBuffer>; memberMacKey: Uint8Array<ArrayBuffer> } {
  if (inviteSecret.length !== 32) throw new RangeError('an invite secret is 32 bytes');
  const derive = (info: string) => new Uint8Array(hkdfSync('sha256', inviteSecret, new Uint8Array(0), info, 32));
  return { relayPassword: derive('aviso invite relay password'), memberMacKey: derive('aviso invite member mac') };
}

/**
 * The join MAC (docs/groups.md): HMAC-SHA256(memberMacKey, utf8(canonicalJson(
 * ["aviso-invite-mac-v1", groupIdHex, version, actorBase64, actorIdentityKeyBase64]))).
 */
export function inviteMac(memberMacKey: Uint8Array, groupId: string, version: number, actor: string, actorIdentityKey: string): Uint8Array<ArrayBuffer> {
  const msg = canonicalJson(['aviso-invite-mac-v1', groupId, version, actor, actorIdentityKey]);
  return new Uint8Array(createHmac('sha256', memberMacKey).update(msg, 'utf8').digest());
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
