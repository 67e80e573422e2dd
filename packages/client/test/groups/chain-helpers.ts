import { randomBytes, randomUUID } from 'node:crypto';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import type { GroupAction, GroupChange, Role } from '@aviso/protocol';
import { buildChange, emptyGroupState, verifyChange, type GroupState } from '../../src/crypto/group-chain.js';
import { deriveInviteKeys, GroupKeys, sha256 } from '../../src/crypto/group-keys.js';
import { toBase64 } from '../../src/util/bytes.js';

export class Member {
  readonly accountId = randomUUID();
  readonly identity = IdentityKeyPair.generate();
  constructor(readonly name: string) {}
}

export interface TestInvite {
  inviteId: string;
  secret: Uint8Array;
  memberMacKey: Uint8Array;
}

/** Builds a group's log the way honest members would, verifying every change as it goes. */
export class ChainBuilder {
  readonly keys = new GroupKeys(randomBytes(32));
  readonly log: GroupChange[] = [];
  state: GroupState = emptyGroupState(this.keys.groupId);

  make(by: Member, actions: GroupAction[], memberMacKey?: Uint8Array, state: GroupState = this.state): GroupChange {
    return buildChange({ state, keys: this.keys, accountId: by.accountId, identityKeyPair: by.identity, actions, memberMacKey });
  }

  /** Makes, verifies and appends. */
  append(by: Member, actions: GroupAction[], memberMacKey?: Uint8Array): GroupChange {
    const change = this.make(by, actions, memberMacKey);
    this.state = verifyChange(this.state, change, this.keys).state;
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
    const { relayPassword, memberMacKey } = deriveInviteKeys(secret);
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
        sealed: this.keys.sealJson({ v: 1, memberMacKey: toBase64(memberMacKey) }),
      },
    ]);
    return { inviteId, secret, memberMacKey };
  }

  joinAction(by: Member, invite: TestInvite, type: 'join' | 'requestJoin' = 'join'): GroupAction {
    return { type, inviteId: invite.inviteId, profile: this.profile(by.name) };
  }

  join(by: Member, invite: TestInvite, type: 'join' | 'requestJoin' = 'join'): GroupChange {
    return this.append(by, [this.joinAction(by, invite, type)], invite.memberMacKey);
  }

  profile(displayName: string): string {
    return this.keys.sealJson({ v: 1, displayName });
  }

  ps(m: Member): string {
    return this.keys.pseudonym(m.accountId);
  }
}

/** Decrypts a change's proof, lets `mutate` edit it, and seals it again under the same group keys. */
export function reseal(keys: GroupKeys, change: GroupChange, mutate: (proof: Record<string, unknown>) => void): GroupChange {
  const proof = keys.openJson(change.proof) as Record<string, unknown>;
  mutate(proof);
  return { ...change, proof: keys.sealJson(proof) };
}
