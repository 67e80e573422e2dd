import { randomBytes, randomUUID } from 'node:crypto';
import { IdentityKeyPair, type PrivateKey } from '@signalapp/libsignal-client';
import type { GroupChange, Role } from '@aviso/protocol';
import { buildChange, emptyGroupState, verifyChange, type UnsignedAction } from '../../src/crypto/group-chain.js';
import type { GroupState } from '../../src/stores/group-state.js';
import { MemberBlobOverlay } from '../../src/stores/member-blobs.js';
import { changeSigningMessage } from '@aviso/protocol';
import { deriveInviteKeys, GroupKeys, memberSigningKey, sha256 } from '../../src/crypto/group-keys.js';
import { toBase64 } from '../../src/util/bytes.js';

export class Member {
  readonly accountId = randomUUID();
  readonly identity = IdentityKeyPair.generate();
  constructor(readonly name: string) {}
}

export interface TestInvite {
  inviteId: string;
  secret: Uint8Array;
  signingKey: PrivateKey;
}

/** Builds a group's log the way honest members would, verifying every change as it goes. */
export class ChainBuilder {
  readonly keys: GroupKeys;
  readonly log: GroupChange[] = [];
  state: GroupState;
  /** The member blobs of `state` (kept apart from it, as the SDK's stores keep them). */
  blobs = MemberBlobOverlay.empty();

  /** A new group, or the one of `masterKey` (a vector's). */
  constructor(masterKey: Uint8Array = randomBytes(32)) {
    this.keys = new GroupKeys(masterKey);
    this.state = emptyGroupState(this.keys.groupId);
  }

  make(by: Member, actions: UnsignedAction[], inviteSigningKey?: PrivateKey, state: GroupState = this.state): GroupChange {
    return buildChange({ state, keys: this.keys, accountId: by.accountId, identityKeyPair: by.identity, actions, inviteSigningKey });
  }

  /** Makes, verifies and appends. */
  append(by: Member, actions: UnsignedAction[], inviteSigningKey?: PrivateKey): GroupChange {
    const change = this.make(by, actions, inviteSigningKey);
    this.state = verifyChange(this.state, change, this.keys, this.blobs).state;
    this.log.push(change);
    return change;
  }

  create(by: Member, title = 'Compton responders', membersCanInvite = false): GroupChange {
    return this.append(by, [
      { type: 'create', attributes: this.keys.sealJson({ v: 1, title, description: 'night shift' }), profile: this.profile(by.name), membersCanInvite },
    ]);
  }

  invite(by: Member, opts: { requireApproval?: boolean; maxUses?: number; role?: Role } = {}): TestInvite {
    const secret = randomBytes(32);
    const { relayPassword, signingKey } = deriveInviteKeys(secret);
    const inviteId = toBase64(randomBytes(16));
    this.append(by, [
      {
        type: 'createInvite',
        inviteId,
        passwordHash: toBase64(sha256(relayPassword)),
        expiresAt: Date.now() + 3600_000,
        maxUses: opts.maxUses ?? 1,
        role: opts.role ?? 'member',
        requireApproval: opts.requireApproval ?? false,
        signingKey: toBase64(signingKey.getPublicKey().serialize()),
      },
    ]);
    return { inviteId, secret, signingKey };
  }

  joinAction(by: Member, invite: TestInvite, type: 'join' | 'requestJoin' = 'join'): UnsignedAction {
    return type === 'join' ? { type, inviteId: invite.inviteId, profile: this.profile(by.name) } : { type, inviteId: invite.inviteId, profile: this.profile(by.name) };
  }

  join(by: Member, invite: TestInvite, type: 'join' | 'requestJoin' = 'join'): GroupChange {
    return this.append(by, [this.joinAction(by, invite, type)], invite.signingKey);
  }

  profile(displayName: string): string {
    return this.keys.sealJson({ v: 1, displayName });
  }

  ps(m: Member): string {
    return this.keys.pseudonym(m.accountId);
  }
}

/** Decrypts a change's identity proof, lets `mutate` edit it, and seals it again under the same group keys (signatures untouched). */
export function reseal(keys: GroupKeys, change: GroupChange, mutate: (proof: Record<string, unknown>) => void): GroupChange {
  const proof = keys.openJson(change.proof ?? '') as Record<string, unknown>;
  mutate(proof);
  return { ...change, proof: keys.sealJson(proof) };
}

/**
 * Re-signs a (tampered) change with `by`'s signing key for the group (and `inviteKey`, for a join),
 * as a member who really holds those keys would: what stays to be caught is what the signatures do
 * not cover.
 */
export function resign(keys: GroupKeys, change: GroupChange, by: Member, inviteKey?: PrivateKey): GroupChange {
  const { signature: _s, inviteSignature: _i, ...unsigned } = change;
  const message = Buffer.from(changeSigningMessage(keys.groupId, unsigned), 'utf8');
  return {
    ...unsigned,
    signature: toBase64(memberSigningKey(by.identity, keys.groupId).sign(message)),
    ...(inviteKey ? { inviteSignature: toBase64(inviteKey.sign(message)) } : {}),
  };
}
