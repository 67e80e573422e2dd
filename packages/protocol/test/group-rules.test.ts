import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  changeSigningMessage,
  evaluateChange,
  GroupAction,
  ProtocolError,
  type AuthenticityContext,
  type GroupChange,
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

  head = 'h-1';

  /** The chain link and signature context; signatures are checked by the stand-in `fakeVerify`. */
  authenticity(now?: number): AuthenticityContext {
    return { groupId: 'g', headHash: this.head, now, verify: fakeVerify };
  }

  /** A change by `actor`, chained and signed as an honest member would (entering actions get its key). */
  build(actor: string, actions: TestAction[], version = this.version + 1): GroupChange {
    const full = actions.map((a) => (a.type === 'create' || a.type === 'join' || a.type === 'requestJoin' ? { ...a, signingKey: memberKey(actor) } : a)) as GroupAction[];
    const first = full[0];
    const entering = first?.type === 'create' || first?.type === 'join' || first?.type === 'requestJoin';
    const unsigned = { version, actor, actions: full, prevHash: this.head, at: 0, ...(entering ? { proof: PROOF } : {}) };
    const message = changeSigningMessage('g', unsigned);
    const inviteId = first?.type === 'join' || first?.type === 'requestJoin' ? first.inviteId : undefined;
    return { ...unsigned, signature: fakeSign(memberKey(actor), message), ...(inviteId ? { inviteSignature: fakeSign(inviteKey(inviteId), message) } : {}) };
  }

  /** Evaluates and applies one change by `actor`; the invite check accepts only `goodInvites`. */
  change(actor: string, actions: TestAction[], opts: { now?: number; goodInvites?: string[] } = {}): GroupEffect[] {
    const effects = evaluateChange(this, this.build(actor, actions), {
      authenticity: this.authenticity(opts.now),
      ...(opts.now === undefined ? {} : { now: opts.now }),
      authorizeInvite: (id) => {
        if (!(opts.goodInvites ?? [...this.invites.keys()]).includes(id)) throw new ProtocolError('INVITE_INVALID', 'bad password');
      },
    });
    for (const e of effects) this.apply(e);
    this.version++;
    this.head = `h${this.version}`;
    return effects;
  }

  private apply(e: GroupEffect): void {
    switch (e.type) {
      case 'member.put':
        this.members.set(e.member, { role: e.role, inviteId: e.inviteId, signingKey: e.signingKey });
        break;
      case 'member.delete':
        this.members.delete(e.member);
        break;
      case 'pending.put':
        this.pendings.set(e.member, { inviteId: e.inviteId, signingKey: e.signingKey });
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

/**
 * Stand-ins for XEdDSA, so these tests exercise which key must sign what without libsignal (the
 * protocol package has no crypto): a "signature" is the key and the message it covers. The relay's
 * and the SDK's tests run the real signatures.
 */
const fakeSign = (key: string, message: string) => `${key}|${message}`;
const fakeVerify = (key: string, message: string, signature: string) => signature === fakeSign(key, message);
const memberKey = (member: string) => `key-${member}`;
const inviteKey = (inviteId: string) => `ikey-${inviteId}`;
type TestAction = GroupAction extends infer A ? (A extends { signingKey: string } ? Omit<A, 'signingKey'> & { signingKey?: string } : A) : never;
// Member pseudonyms and invite ids only need to be distinct strings for the rules.
const [ADMIN, BOB, CAROL, DAVE] = ['admin', 'bob', 'carol', 'dave'];
const blob = 'YmxvYg==';

function created(): TestGroup {
  const g = new TestGroup();
  g.change(ADMIN, [{ type: 'create', attributes: blob, profile: blob, membersCanInvite: false }]);
  return g;
}
function invite(id: string, over: Partial<{ maxUses: number; role: 'admin' | 'member'; requireApproval: boolean; expiresAt: number }> = {}): GroupAction {
  return {
    type: 'createInvite',
    inviteId: id,
    passwordHash: blob,
    expiresAt: over.expiresAt ?? 2e12,
    maxUses: over.maxUses ?? 1,
    role: over.role ?? 'member',
    requireApproval: over.requireApproval ?? false,
    signingKey: inviteKey(id),
  };
}
const join = (inviteId: string): TestAction => ({ type: 'join', inviteId, profile: blob });
const requestJoin = (inviteId: string): TestAction => ({ type: 'requestJoin', inviteId, profile: blob });

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
    expect([...g.members]).toEqual([[ADMIN, { role: 'admin', inviteId: undefined, signingKey: memberKey(ADMIN) }]]);
  });

  test('a group starts with create, exactly once, at version 0', () => {
    expect(refusal(() => new TestGroup().change(ADMIN, [{ type: 'leave' }]))).toBe('BAD_REQUEST');
    const g = created();
    expect(refusal(() => g.change(ADMIN, [{ type: 'create', attributes: blob, profile: blob, membersCanInvite: true }]))).toBe('GROUP_CONFLICT');
  });

  test('a change for the wrong version is a conflict and changes nothing', () => {
    const g = created();
    const before = g.version;
    expect(refusal(() => evaluateChange(g, g.build(ADMIN, [{ type: 'leave' }], 5), { authenticity: g.authenticity(), authorizeInvite: () => undefined }))).toBe('GROUP_CONFLICT');
    expect(g.version).toBe(before);
  });

  test('joining through an invite: role, uses, and the invite check', () => {
    const g = created();
    g.change(ADMIN, [invite('i1', { maxUses: 2 })]);
    expect(refusal(() => g.change(BOB, [join('i1')], { goodInvites: [] }))).toBe('INVITE_INVALID');
    g.change(BOB, [join('i1')]);
    expect(g.members.get(BOB)).toEqual({ role: 'member', inviteId: 'i1', signingKey: memberKey(BOB) });
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

describe('authenticity: what the relay checks before it stores a change (authenticity.ts)', () => {
  function reason(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      if (err instanceof ProtocolError) return `${err.code}:${String(err.details?.['reason'] ?? '')}`;
      throw err;
    }
    return 'accepted';
  }
  const evaluate = (g: TestGroup, change: GroupChange, now?: number) => evaluateChange(g, change, { authenticity: g.authenticity(now), authorizeInvite: () => undefined });
  const resigned = (change: GroupChange, signer: string): GroupChange => ({ ...change, signature: fakeSign(signer, changeSigningMessage('g', change)) });

  test('a change signed by anyone but the actor\'s own key, or unsigned, is refused', () => {
    const g = created();
    const honest = g.build(ADMIN, [{ type: 'setAccess', membersCanInvite: true }]);
    expect(reason(() => evaluate(g, honest))).toBe('accepted');
    expect(reason(() => evaluate(g, resigned(honest, memberKey(BOB))))).toBe('GROUP_CHANGE_INVALID:bad-signature');
    expect(reason(() => evaluate(g, { ...honest, signature: '' }))).toBe('GROUP_CHANGE_INVALID:bad-signature');
    expect(reason(() => evaluate(g, { ...honest, actions: [{ type: 'setAccess', membersCanInvite: false }] }))).toBe('GROUP_CHANGE_INVALID:bad-signature');
  });

  test('a join needs its invite\'s signature; the group\'s keys alone cannot make one', () => {
    const g = created();
    g.change(ADMIN, [invite('i1')]);
    const honest = g.build(BOB, [join('i1')]);
    const { inviteSignature: _dropped, ...unsignedByInvite } = honest;
    expect(reason(() => evaluate(g, unsignedByInvite))).toBe('INVITE_INVALID:bad-invite-signature');
    expect(reason(() => evaluate(g, { ...honest, inviteSignature: fakeSign(inviteKey('other'), changeSigningMessage('g', honest)) }))).toBe('INVITE_INVALID:bad-invite-signature');
    expect(reason(() => evaluate(g, honest))).toBe('accepted');
  });

  test('the chain link, the time and the identity proof', () => {
    const g = created();
    const next = g.build(ADMIN, [{ type: 'setAccess', membersCanInvite: true }]);
    expect(reason(() => evaluate(g, resigned({ ...next, prevHash: 'h-other' }, memberKey(ADMIN))))).toBe('GROUP_CONFLICT:prev-hash-mismatch');
    // Within five minutes of the relay's clock, and never well before the head's time.
    expect(reason(() => evaluate(g, next, 5 * 60_000))).toBe('accepted');
    expect(reason(() => evaluate(g, next, 6 * 60_000))).toBe('GROUP_CHANGE_INVALID:bad-time');
    const backdated = resigned({ ...next, at: 0 }, memberKey(ADMIN));
    expect(reason(() => evaluateChange(g, backdated, { authenticity: { ...g.authenticity(), headAt: 11 * 60_000 }, authorizeInvite: () => undefined }))).toBe('GROUP_CHANGE_INVALID:bad-time');
    expect(reason(() => evaluate(g, resigned({ ...next, proof: PROOF }, memberKey(ADMIN))))).toBe('GROUP_CHANGE_INVALID:unexpected-proof');
    g.change(ADMIN, [invite('i1')]);
    const { proof: _p, ...noProof } = g.build(BOB, [join('i1')]);
    expect(reason(() => evaluate(g, noProof))).toBe('GROUP_CHANGE_INVALID:missing-proof');
  });

  test('a member from protocol 1 (no signing key) cannot sign, and the refusal says why', () => {
    const g = created();
    g.members.set(ADMIN, { role: 'admin' });
    expect(reason(() => evaluate(g, g.build(ADMIN, [{ type: 'setAccess', membersCanInvite: true }])))).toBe('GROUP_CHANGE_INVALID:no-signing-key');
  });
});

/**
 * docs/groups.md's "Group rules" table is the prose that another team implements from: this reads
 * it and runs each row's "Who may" through evaluateChange, so the table and rules.ts cannot drift.
 */
describe('the rules table in docs/groups.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/groups.md', import.meta.url)), 'utf8');
  const section = doc.slice(doc.indexOf('## Group rules'), doc.indexOf('\n## ', doc.indexOf('## Group rules') + 1));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    for (const name of cells[1]!.matchAll(/`(\w+)`/g)) rows.set(name[1]!, cells[2]!);
  }

  /** admin, bob and dave are members (bob and dave joined by invite i1), carol is pending through `ask`. */
  function populated(membersCanInvite = false): TestGroup {
    const g = created();
    g.change(ADMIN, [invite('i1', { maxUses: 5 }), invite('ask', { requireApproval: true, maxUses: 5 })]);
    g.change(BOB, [join('i1')]);
    g.change(DAVE, [join('i1')]);
    g.change(CAROL, [requestJoin('ask')]);
    if (membersCanInvite) g.change(ADMIN, [{ type: 'setAccess', membersCanInvite: true }]);
    return g;
  }
  /** One action of each type; `invite` is the invite it acts on, where it acts on one. */
  const sample: Record<string, (invite?: string) => TestAction> = {
    createInvite: () => invite('new', { requireApproval: true }) as TestAction,
    revokeInvite: (inviteId = 'i1') => ({ type: 'revokeInvite', inviteId }),
    approve: () => ({ type: 'approve', member: CAROL }),
    deny: () => ({ type: 'deny', member: CAROL, ban: false }),
    remove: () => ({ type: 'remove', member: DAVE, ban: false }),
    setRole: () => ({ type: 'setRole', member: DAVE, role: 'admin' }),
    setAttributes: () => ({ type: 'setAttributes', attributes: blob }),
    setAccess: () => ({ type: 'setAccess', membersCanInvite: true }),
    leave: () => ({ type: 'leave' }),
    checkpoint: () => ({ type: 'checkpoint', stateHash: Buffer.alloc(32, 1).toString('base64') }),
  };
  const attempt = (g: TestGroup, actor: string, action: TestAction) => refusal(() => g.change(actor, [action]));
  /** A group where bob (a member) issued the invite `bobs`. */
  function withBobsInvite(): TestGroup {
    const g = populated(true);
    g.change(BOB, [invite('bobs', { requireApproval: true })]);
    return g;
  }

  test('every action the schema knows has a row, and every row names a real action', () => {
    const known = GroupAction.options.map((o) => o.shape.type.value);
    expect([...rows.keys()].sort()).toEqual([...known].sort());
  });

  test.each(Object.keys(sample))('%s: the table says who may, and evaluateChange agrees', (type) => {
    const who = rows.get(type);
    expect(who, `a row for ${type}`).toBeDefined();
    const action = sample[type]!;
    if (who === 'admins') {
      expect(attempt(populated(), ADMIN, action())).toBe('accepted');
      expect(attempt(populated(true), BOB, action())).toBe('FORBIDDEN');
      expect(attempt(withBobsInvite(), BOB, action('bobs'))).toBe('FORBIDDEN'); // not even on what bob made
    } else if (who!.startsWith('admins; members too when `membersCanInvite`')) {
      expect(attempt(populated(), ADMIN, action())).toBe('accepted');
      expect(attempt(populated(false), BOB, action())).toBe('FORBIDDEN');
      expect(attempt(populated(true), BOB, action())).toBe('accepted');
    } else if (who === 'admins, or the member who issued the invite') {
      expect(attempt(populated(), ADMIN, action())).toBe('accepted');
      expect(attempt(populated(), BOB, action())).toBe('FORBIDDEN'); // i1 is the admin's
      expect(attempt(withBobsInvite(), DAVE, action('bobs'))).toBe('FORBIDDEN');
      expect(attempt(withBobsInvite(), BOB, action('bobs'))).toBe('accepted');
    } else if (who === 'any member') {
      expect(attempt(populated(), BOB, action())).toBe('accepted');
      expect(attempt(populated(), CAROL, action())).toBe('NOT_A_MEMBER'); // pending is not in yet
    } else {
      throw new Error(`the table's "Who may" for ${type} is not one this test knows: ${who}`);
    }
  });
});
