import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { GroupRecord, InviteRecord } from '../../src/ports/groups.js';
import type { StorageBackend } from '../../src/ports/storage.js';
import { bytes, u8, type CurrentBackend } from './fixtures.js';

function createGroup(b: StorageBackend, overrides: Partial<GroupRecord> = {}): GroupRecord {
  const group: GroupRecord = { id: randomUUID().replaceAll('-', ''), publicParams: u8(1, 2, 3), version: 0, attributes: u8(4, 5), membersCanInvite: false, ...overrides };
  b.transaction(() => b.groups.insert(group));
  return group;
}

const plainGroup = (g: GroupRecord | undefined) => g && { ...g, publicParams: bytes(g.publicParams), attributes: bytes(g.attributes) };

function invite(inviteId: string, overrides: Partial<InviteRecord> = {}): InviteRecord {
  return { inviteId, issuer: 'admin-ct', passwordHash: u8(7, 7), expiresAt: 5_000, maxUses: 3, uses: 0, role: 'member', requireApproval: true, revoked: false, signingKey: 'c2lnbg==', ...overrides };
}

export function groupsContract(backend: CurrentBackend): void {
  describe('groups', () => {
    test('a created group reads back; an unknown one is absent', () => {
      const b = backend();
      const g = createGroup(b, { version: 0, membersCanInvite: true });
      expect(plainGroup(b.groups.get(g.id))).toEqual(plainGroup(g));
      expect(b.groups.get('0'.repeat(32))).toBeUndefined();
    });

    test('bumpVersion moves the version on by one, only from the current version', () => {
      const b = backend();
      const g = createGroup(b);
      expect(b.transaction(() => b.groups.bumpVersion(g.id, 0))).toBe(true);
      expect(b.transaction(() => b.groups.bumpVersion(g.id, 0))).toBe(false); // another writer got there first
      expect(b.transaction(() => b.groups.bumpVersion(g.id, 5))).toBe(false);
      expect(b.groups.get(g.id)?.version).toBe(1);
      expect(b.transaction(() => b.groups.bumpVersion(g.id, 1))).toBe(true);
      expect(b.groups.get(g.id)?.version).toBe(2);
      expect(b.transaction(() => b.groups.bumpVersion('0'.repeat(32), 0))).toBe(false);
    });

    test('attributes and the members-can-invite flag are updated in place', () => {
      const b = backend();
      const g = createGroup(b);
      b.transaction(() => {
        b.groups.setAttributes(g.id, u8(9, 9, 9));
        b.groups.setMembersCanInvite(g.id, true);
      });
      expect(plainGroup(b.groups.get(g.id))).toEqual({ ...plainGroup(g), attributes: [9, 9, 9], membersCanInvite: true });
      b.transaction(() => b.groups.setMembersCanInvite(g.id, false));
      expect(b.groups.get(g.id)?.membersCanInvite).toBe(false);
    });

    test('members are added, read, re-roled without losing their profile or key, counted and removed', () => {
      const b = backend();
      const g = createGroup(b);
      b.transaction(() => {
        b.groups.putMember(g.id, 'bob-ct', 'member', 'inv1', u8(2), 'a2V5Yg==');
        b.groups.putMember(g.id, 'alice-ct', 'admin', undefined, u8(1), 'a2V5YQ==');
        b.groups.putMember(g.id, 'carol-ct', 'member', 'inv1', undefined, undefined);
      });
      const plainMember = (m: ReturnType<StorageBackend['groups']['member']>) => m && { ...m, profile: bytes(m.profile) };
      expect(plainMember(b.groups.member(g.id, 'alice-ct'))).toEqual({ role: 'admin', inviteId: undefined, profile: [1], signingKey: 'a2V5YQ==' });
      expect(plainMember(b.groups.member(g.id, 'carol-ct'))).toEqual({ role: 'member', inviteId: 'inv1', profile: null, signingKey: undefined });
      expect(b.groups.member(g.id, 'nobody-ct')).toBeUndefined();
      expect(b.groups.memberCiphertexts(g.id)).toEqual(['alice-ct', 'bob-ct', 'carol-ct']);
      expect(b.groups.memberCount(g.id)).toBe(3);
      expect(b.groups.adminCount(g.id)).toBe(1);

      // A role change carries no profile or key: the stored ones stay.
      b.transaction(() => b.groups.putMember(g.id, 'bob-ct', 'admin', 'inv1', undefined, undefined));
      expect(plainMember(b.groups.member(g.id, 'bob-ct'))).toEqual({ role: 'admin', inviteId: 'inv1', profile: [2], signingKey: 'a2V5Yg==' });
      expect(b.groups.adminCount(g.id)).toBe(2);
      // A new profile replaces the old one.
      b.transaction(() => b.groups.putMember(g.id, 'bob-ct', 'admin', 'inv1', u8(3), undefined));
      expect(bytes(b.groups.member(g.id, 'bob-ct')?.profile)).toEqual([3]);

      b.transaction(() => b.groups.deleteMember(g.id, 'alice-ct'));
      expect(b.groups.member(g.id, 'alice-ct')).toBeUndefined();
      expect(b.groups.memberCiphertexts(g.id)).toEqual(['bob-ct', 'carol-ct']);
      expect(b.groups.memberCount(g.id)).toBe(2);
      expect(b.groups.adminCount(g.id)).toBe(1);
    });

    test('members of one group are not members of another', () => {
      const b = backend();
      const [g, h] = [createGroup(b), createGroup(b)];
      b.transaction(() => b.groups.putMember(g.id, 'alice-ct', 'admin', undefined, u8(1), undefined));
      expect(b.groups.member(h.id, 'alice-ct')).toBeUndefined();
      expect(b.groups.memberCiphertexts(h.id)).toEqual([]);
      expect(b.groups.memberCount(h.id)).toBe(0);
      expect(b.groups.adminCount(h.id)).toBe(0);
    });

    test('pending members are recorded, replaced and removed', () => {
      const b = backend();
      const g = createGroup(b);
      b.transaction(() => b.groups.putPending(g.id, 'dave-ct', 'inv1', u8(4), 'a2V5ZA=='));
      const plainPending = (p: ReturnType<StorageBackend['groups']['pending']>) => p && { ...p, profile: bytes(p.profile) };
      expect(plainPending(b.groups.pending(g.id, 'dave-ct'))).toEqual({ inviteId: 'inv1', profile: [4], signingKey: 'a2V5ZA==' });
      b.transaction(() => b.groups.putPending(g.id, 'dave-ct', 'inv2', u8(5), 'a2V5ZQ=='));
      expect(plainPending(b.groups.pending(g.id, 'dave-ct'))).toEqual({ inviteId: 'inv2', profile: [5], signingKey: 'a2V5ZQ==' });
      expect(b.groups.member(g.id, 'dave-ct')).toBeUndefined(); // pending is not a member
      b.transaction(() => b.groups.deletePending(g.id, 'dave-ct'));
      expect(b.groups.pending(g.id, 'dave-ct')).toBeUndefined();
    });

    test('a ban is recorded once and holds only in its group', () => {
      const b = backend();
      const [g, h] = [createGroup(b), createGroup(b)];
      expect(b.groups.isBanned(g.id, 'eve-ct')).toBe(false);
      b.transaction(() => b.groups.ban(g.id, 'eve-ct'));
      b.transaction(() => b.groups.ban(g.id, 'eve-ct')); // banning again is no error
      expect(b.groups.isBanned(g.id, 'eve-ct')).toBe(true);
      expect(b.groups.isBanned(h.id, 'eve-ct')).toBe(false);
    });

    test('an invite reads back, counts its uses and can be revoked', () => {
      const b = backend();
      const g = createGroup(b);
      const inv = invite('inv1');
      b.transaction(() => b.groups.putInvite(g.id, inv));
      const plainInvite = (i: InviteRecord | undefined) => i && { ...i, passwordHash: bytes(i.passwordHash) };
      expect(plainInvite(b.groups.invite(g.id, 'inv1'))).toEqual(plainInvite(inv));
      b.transaction(() => b.groups.useInvite(g.id, 'inv1'));
      b.transaction(() => b.groups.useInvite(g.id, 'inv1'));
      expect(b.groups.invite(g.id, 'inv1')?.uses).toBe(2);
      b.transaction(() => b.groups.revokeInvite(g.id, 'inv1'));
      expect(plainInvite(b.groups.invite(g.id, 'inv1'))).toEqual({ ...plainInvite(inv), uses: 2, revoked: true });
      expect(b.groups.invite(g.id, 'inv2')).toBeUndefined();
      expect(b.groups.invite(createGroup(b).id, 'inv1')).toBeUndefined();
      // An invite of protocol 1 has no signing key, and a plain one needs no approval.
      b.transaction(() => b.groups.putInvite(g.id, invite('old', { signingKey: undefined, requireApproval: false, role: 'admin' })));
      expect(b.groups.invite(g.id, 'old')).toMatchObject({ signingKey: undefined, requireApproval: false, role: 'admin', revoked: false });
    });

    test('the change log keeps each version once, reads the head and pages oldest first', () => {
      const b = backend();
      const g = createGroup(b);
      b.transaction(() => {
        for (let v = 1; v <= 5; v++) b.groups.appendChange(g.id, { version: v, body: `change-${v}`, receivedAt: 1_000 + v });
      });
      expect(b.groups.change(g.id, 5)).toEqual({ version: 5, body: 'change-5', receivedAt: 1_005 });
      expect(b.groups.change(g.id, 6)).toBeUndefined();
      expect(b.groups.changes(g.id, 2, 2)).toEqual([
        { version: 2, body: 'change-2', receivedAt: 1_002 },
        { version: 3, body: 'change-3', receivedAt: 1_003 },
      ]);
      expect(b.groups.changes(g.id, 4, 100).map((c) => c.version)).toEqual([4, 5]);
      expect(b.groups.changes(g.id, 6, 100)).toEqual([]);
      // Two writers cannot both log the same version.
      expect(() => b.transaction(() => b.groups.appendChange(g.id, { version: 5, body: 'fork', receivedAt: 2_000 }))).toThrow();
      expect(b.groups.change(g.id, 5)?.body).toBe('change-5');
      expect(b.groups.changes(createGroup(b).id, 0, 100)).toEqual([]);
    });
  });
}
