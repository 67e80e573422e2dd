import { describe, expect, test } from 'vitest';
import {
  evaluateChange,
  ProtocolError,
  type GroupAction,
  type GroupEffect,
  type GroupView,
  type InviteInfo,
  type MemberInfo,
  type PendingInfo,
} from '../src/index.js';

/** A plain in-memory group for exercising the rules; effects are applied the way relay and client do. */
class TestGroup implements GroupView {
  version = -1;
  membersCanInvite = false;
  readonly members = new Map<string, MemberInfo>();
  readonly pendings = new Map<string, PendingInfo>();
  readonly banned = new Set<string>();
  readonly invites = new Map<string, InviteInfo>();
  attributes = '';
  get memberCount() {
    return this.members.size;
  }
  get adminCount() {
    return [...this.members.values()].filter((m) => m.role === 'admin').length;
  }
  member = (m: string) => this.members.get(m);
  pending = (m: string) => this.pendings.get(m);
  isBanned = (m: string) => this.banned.has(m);
  invite = (id: string) => this.invites.get(id);

  /** Evaluates and applies one change by `actor`; the invite check accepts only `goodInvites`. */
  change(actor: string, actions: GroupAction[], opts: { now?: number; goodInvites?: string[] } = {}): GroupEffect[] {
    const effects = evaluateChange(this, { version: this.version + 1, actor, actions, proof: PROOF }, {
      ...(opts.now === undefined ? {} : { now: opts.now }),
      authorizeInvite: (id) => {
        if (!(opts.goodInvites ?? [...this.invites.keys()]).includes(id)) throw new ProtocolError('INVITE_INVALID', 'bad password');
      },
    });
    for (const e of effects) this.apply(e);
    this.version++;
    return effects;
  }

  private apply(e: GroupEffect): void {
    switch (e.type) {
      case 'member.put':
        this.members.set(e.member, { role: e.role, inviteId: e.inviteId });
        break;
      case 'member.delete':
        this.members.delete(e.member);
        break;
      case 'pending.put':
        this.pendings.set(e.member, { inviteId: e.inviteId });
        break;
      case 'pending.delete':
        this.pendings.delete(e.member);
        break;
      case 'banned.put':
        this.banned.add(e.member);
        break;
      case 'invite.put':
        this.invites.set(e.inviteId, e.invite);
        break;
      case 'invite.use':
        this.invites.get(e.inviteId)!.uses++;
        break;
      case 'invite.revoke':
        this.invites.get(e.inviteId)!.revoked = true;
        break;
      case 'attributes.set':
        this.attributes = e.attributes;
        break;
      case 'access.set':
        this.membersCanInvite = e.membersCanInvite;
        break;
    }
  }
}

const PROOF = 'cHJvb2Y=';
// Member pseudonyms and invite ids only need to be distinct strings for the rules.
const [ADMIN, BOB, CAROL, DAVE] = ['admin', 'bob', 'carol', 'dave'];
const blob = 'YmxvYg==';

function created(): TestGroup {
  const g = new TestGroup();
  g.change(ADMIN, [{ type: 'create', attributes: blob, profile: blob, membersCanInvite: false }]);
  return g;
}
function invite(id: string, over: Partial<{ maxUses: number; role: 'admin' | 'member'; requireApproval: boolean; expiresAt: number }> = {}): GroupAction {
  return { type: 'createInvite', inviteId: id, passwordHash: blob, expiresAt: over.expiresAt ?? 2e12, maxUses: over.maxUses ?? 1, role: over.role ?? 'member', requireApproval: over.requireApproval ?? false, sealed: blob };
}
const join = (inviteId: string): GroupAction => ({ type: 'join', inviteId, profile: blob });
const requestJoin = (inviteId: string): GroupAction => ({ type: 'requestJoin', inviteId, profile: blob });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('group rules', () => {
  test('the creator becomes the only admin', () => {
    const g = created();
    expect(g.version).toBe(0);
    expect([...g.members]).toEqual([[ADMIN, { role: 'admin', inviteId: undefined }]]);
  });

  test('a group starts with create, exactly once, at version 0', () => {
    expect(refusal(() => new TestGroup().change(ADMIN, [{ type: 'leave' }]))).toBe('BAD_REQUEST');
    const g = created();
    expect(refusal(() => g.change(ADMIN, [{ type: 'create', attributes: blob, profile: blob, membersCanInvite: true }]))).toBe('GROUP_CONFLICT');
  });

  test('a change for the wrong version is a conflict and changes nothing', () => {
    const g = created();
    const before = g.version;
    expect(refusal(() => evaluateChange(g, { version: 5, actor: ADMIN, actions: [{ type: 'leave' }], proof: PROOF }, { authorizeInvite: () => undefined }))).toBe('GROUP_CONFLICT');
    expect(g.version).toBe(before);
  });

  test('joining through an invite: role, uses, and the invite check', () => {
    const g = created();
    g.change(ADMIN, [invite('i1', { maxUses: 2 })]);
    expect(refusal(() => g.change(BOB, [join('i1')], { goodInvites: [] }))).toBe('INVITE_INVALID');
    g.change(BOB, [join('i1')]);
    expect(g.members.get(BOB)).toEqual({ role: 'member', inviteId: 'i1' });
    g.change(CAROL, [join('i1')]);
    expect(refusal(() => g.change(DAVE, [join('i1')]))).toBe('INVITE_INVALID'); // used up
    expect(refusal(() => g.change(BOB, [join('i1')]))).toBe('GROUP_CONFLICT'); // already in
  });

  test('expired and revoked invites admit nobody; expiry is checked only when a clock is given', () => {
    const g = created();
    g.change(ADMIN, [invite('old', { expiresAt: 1000, maxUses: 5 }), invite('gone', { maxUses: 5 })]);
    g.change(ADMIN, [{ type: 'revokeInvite', inviteId: 'gone' }]);
    expect(refusal(() => g.change(BOB, [join('old')], { now: 1000 }))).toBe('INVITE_INVALID');
    expect(refusal(() => g.change(BOB, [join('gone')]))).toBe('INVITE_INVALID');
    // A client replaying the log has no trustworthy clock for the join; the relay checked it then.
    expect(refusal(() => g.change(BOB, [join('old')]))).toBe('accepted');
  });

  test('approval: requestJoin waits, an admin approves or denies, and the invite must match the path', () => {
    const g = created();
    g.change(ADMIN, [invite('ask', { requireApproval: true, maxUses: 3 })]);
    expect(refusal(() => g.change(BOB, [join('ask')]))).toBe('FORBIDDEN');
    g.change(BOB, [requestJoin('ask')]);
    expect(g.pendings.has(BOB)).toBe(true);
    expect(refusal(() => g.change(BOB, [{ type: 'approve', member: BOB }]))).toBe('NOT_A_MEMBER');
    g.change(ADMIN, [{ type: 'approve', member: BOB }]);
    expect(g.members.get(BOB)?.role).toBe('member');
    g.change(CAROL, [requestJoin('ask')]);
    g.change(ADMIN, [{ type: 'deny', member: CAROL, ban: true }]);
    expect(g.members.has(CAROL)).toBe(false);
    expect(refusal(() => g.change(CAROL, [requestJoin('ask')]))).toBe('BANNED');
  });

  test('only admins remove, and a banned member cannot come back through a fresh invite', () => {
    const g = created();
    g.change(ADMIN, [invite('i', { maxUses: 5 })]);
    g.change(BOB, [join('i')]);
    g.change(CAROL, [join('i')]);
    expect(refusal(() => g.change(BOB, [{ type: 'remove', member: CAROL, ban: false }]))).toBe('FORBIDDEN');
    g.change(ADMIN, [{ type: 'remove', member: CAROL, ban: true }]);
    g.change(ADMIN, [invite('fresh', { maxUses: 5 })]);
    expect(refusal(() => g.change(CAROL, [join('fresh')]))).toBe('BANNED');
    expect(refusal(() => g.change(CAROL, [{ type: 'leave' }]))).toBe('NOT_A_MEMBER');
  });

  test('a group always keeps an admin', () => {
    const g = created();
    g.change(ADMIN, [invite('i')]);
    g.change(BOB, [join('i')]);
    expect(refusal(() => g.change(ADMIN, [{ type: 'leave' }]))).toBe('FORBIDDEN');
    expect(refusal(() => g.change(ADMIN, [{ type: 'setRole', member: ADMIN, role: 'member' }]))).toBe('FORBIDDEN');
    g.change(ADMIN, [{ type: 'setRole', member: BOB, role: 'admin' }]);
    g.change(ADMIN, [{ type: 'leave' }]);
    expect([...g.members.keys()]).toEqual([BOB]);
  });

  test('members invite only when allowed, and only with approval and the member role', () => {
    const g = created();
    g.change(ADMIN, [invite('i', { maxUses: 5 })]);
    g.change(BOB, [join('i')]);
    expect(refusal(() => g.change(BOB, [invite('b1', { requireApproval: true })]))).toBe('FORBIDDEN');
    g.change(ADMIN, [{ type: 'setAccess', membersCanInvite: true }]);
    expect(refusal(() => g.change(BOB, [invite('b2')]))).toBe('FORBIDDEN'); // no approval
    expect(refusal(() => g.change(BOB, [invite('b3', { requireApproval: true, role: 'admin' })]))).toBe('FORBIDDEN');
    g.change(BOB, [invite('b4', { requireApproval: true })]);
    expect(g.invites.get('b4')?.issuer).toBe(BOB);
    // The issuer may revoke its own invite; another member may not.
    g.change(CAROL, [join('i')]);
    expect(refusal(() => g.change(CAROL, [{ type: 'revokeInvite', inviteId: 'b4' }]))).toBe('FORBIDDEN');
    g.change(BOB, [{ type: 'revokeInvite', inviteId: 'b4' }]);
  });

  test('a join is a change of its own and cannot smuggle other actions', () => {
    const g = created();
    g.change(ADMIN, [invite('i')]);
    expect(refusal(() => g.change(BOB, [join('i'), { type: 'setAttributes', attributes: blob }]))).toBe('BAD_REQUEST');
  });

  test('later actions in one change see earlier ones; a refused change applies nothing', () => {
    const g = created();
    g.change(ADMIN, [invite('i', { maxUses: 3 })]);
    g.change(BOB, [join('i')]);
    g.change(CAROL, [join('i')]);
    // Removing everyone a leaked invite admitted, in one change.
    const effects = g.change(ADMIN, [
      { type: 'revokeInvite', inviteId: 'i' },
      { type: 'remove', member: BOB, ban: true },
      { type: 'remove', member: CAROL, ban: true },
    ]);
    expect(effects.filter((e) => e.type === 'member.delete')).toHaveLength(2);
    expect([...g.members.keys()]).toEqual([ADMIN]);
    const version = g.version;
    expect(refusal(() => g.change(ADMIN, [{ type: 'setAttributes', attributes: blob }, { type: 'remove', member: DAVE, ban: false }]))).toBe('BAD_REQUEST');
    expect(g.version).toBe(version);
  });
});
