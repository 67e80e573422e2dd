import { createHash, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Aci, PrivateKey, type IdentityKeyPair } from '@signalapp/libsignal-client';
import { pad, unpad } from '@aviso/protocol';
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

  /**
   * Whether `account` is the one behind `pseudonym` (one deterministic encrypt, ~0.17 ms against
   * ~0.23 ms for a decrypt): how a claimed account is confirmed (group-snapshot-state.ts).
   */
  isPseudonymOf(pseudonym: string, account: string): boolean {
    try {
      return this.pseudonym(account) === pseudonym;
    } catch {
      return false; // not a UUID
    }
  }

  /** Whether the bytes are a well-formed member ciphertext at all (a deserialization, ~0.01 ms; says nothing of whose). */
  isCiphertext(pseudonym: string): boolean {
    try {
      new UuidCiphertext(fromBase64(pseudonym));
      return true;
    } catch {
      return false;
    }
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
    return toBase64(this.cipher.encryptBlob(blobPlaintext(value)));
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

/** The bytes a group blob encrypts: UTF-8 of `JSON.stringify(value)`, 0x80, zeros to a multiple of PADDING_BLOCK_BYTES. */
export function blobPlaintext(value: unknown): Uint8Array<ArrayBuffer> {
  return copyBytes(pad(new TextEncoder().encode(JSON.stringify(value))));
}

export const sha256 = (data: Uint8Array | string): Uint8Array<ArrayBuffer> => new Uint8Array(createHash('sha256').update(data).digest());

/**
 * The two keys an invite secret yields: the relay password (the relay checks its hash before showing
 * the join info and taking a join) and the invite signing key, whose public half `createInvite`
 * publishes and which signs every join through the invite (docs/groups.md "Invite signing key").
 * Neither can be computed from the group's master key.
 */
export function deriveInviteKeys(inviteSecret: Uint8Array): { relayPassword: Uint8Array<ArrayBuffer>; signingKey: PrivateKey } {
  if (inviteSecret.length !== 32) throw new RangeError('an invite secret is 32 bytes');
  const derive = (info: string) => new Uint8Array(hkdfSync('sha256', inviteSecret, new Uint8Array(0), info, 32));
  return { relayPassword: derive('aviso invite relay password'), signingKey: PrivateKey.deserialize(derive('aviso invite signing key')) };
}

/**
 * This member's signing key for one group (docs/groups.md "Member signing key"): derived from the
 * identity private key, so it needs no storage and survives a restore, and one-way, so the relay,
 * which sees the public half in the clear, cannot link it to the identity key or to other groups.
 */
export function memberSigningKey(identity: IdentityKeyPair, groupId: string): PrivateKey {
  const ikm = identity.privateKey.serialize();
  return PrivateKey.deserialize(new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), `aviso group signing key v2${groupId}`, 32)));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
