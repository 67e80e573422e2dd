import { and, asc, count, desc, eq, gte, lt, lte, sql } from 'drizzle-orm';
import type { MemberInfo, PendingInfo, Role } from '@aviso/protocol';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { ChangeRow, CheckpointRow, GroupRecord, GroupsStore, InviteRecord } from '../../ports/groups.js';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Db } from './db.js';
import { groupBanned, groupChanges, groupCheckpoints, groupInvites, groupMembers, groupPending, groups } from './schema.js';

/**
 * Group state keyed by group id and member ciphertext. Call mutating methods inside one transaction
 * (the service does): a change's log row, its effects and the version bump commit together.
 */
export class GroupsRepository implements Synchronous<GroupsStore> {
  // Prepared once: a 1000-action change runs thousands of these, and building each query anew costs
  // ~0.2 ms in drizzle against ~0.01 ms for the statement itself.
  private readonly q;

  constructor(private readonly db: Db) {
    const p = (name: string) => sql.placeholder(name);
    const inGroup = (t: { groupId: SQLiteColumn }) => eq(t.groupId, p('groupId'));
    this.q = {
      get: db.select().from(groups).where(eq(groups.id, p('groupId'))).prepare(),
      bumpVersion: db
        .update(groups)
        .set({ version: sql`${groups.version} + 1` })
        .where(and(eq(groups.id, p('groupId')), eq(groups.version, p('from'))))
        .prepare(),
      member: db
        .select({ role: groupMembers.role, inviteId: groupMembers.inviteId, profile: groupMembers.profile, signingKey: groupMembers.signingKey })
        .from(groupMembers)
        .where(and(inGroup(groupMembers), eq(groupMembers.member, p('member'))))
        .prepare(),
      memberCount: db.select({ n: count() }).from(groupMembers).where(inGroup(groupMembers)).prepare(),
      adminCount: db
        .select({ n: count() })
        .from(groupMembers)
        .where(and(inGroup(groupMembers), eq(groupMembers.role, 'admin')))
        .prepare(),
      putMember: db
        .insert(groupMembers)
        .values({ groupId: p('groupId'), member: p('member'), role: p('role'), inviteId: p('inviteId'), profile: p('profile'), signingKey: p('signingKey') })
        .onConflictDoUpdate({
          target: [groupMembers.groupId, groupMembers.member],
          set: {
            role: sql`excluded.role`,
            inviteId: sql`excluded.invite_id`,
            profile: sql`coalesce(excluded.profile, ${groupMembers.profile})`,
            signingKey: sql`coalesce(excluded.signing_key, ${groupMembers.signingKey})`,
          },
        })
        .prepare(),
      deleteMember: db.delete(groupMembers).where(and(inGroup(groupMembers), eq(groupMembers.member, p('member')))).prepare(),
      pending: db
        .select({ inviteId: groupPending.inviteId, profile: groupPending.profile, signingKey: groupPending.signingKey })
        .from(groupPending)
        .where(and(inGroup(groupPending), eq(groupPending.member, p('member'))))
        .prepare(),
      putPending: db
        .insert(groupPending)
        .values({ groupId: p('groupId'), member: p('member'), inviteId: p('inviteId'), profile: p('profile'), signingKey: p('signingKey') })
        .onConflictDoUpdate({
          target: [groupPending.groupId, groupPending.member],
          set: { inviteId: sql`excluded.invite_id`, profile: sql`excluded.profile`, signingKey: sql`excluded.signing_key` },
        })
        .prepare(),
      deletePending: db.delete(groupPending).where(and(inGroup(groupPending), eq(groupPending.member, p('member')))).prepare(),
      banned: db
        .select({ m: groupBanned.member })
        .from(groupBanned)
        .where(and(inGroup(groupBanned), eq(groupBanned.member, p('member'))))
        .prepare(),
      ban: db.insert(groupBanned).values({ groupId: p('groupId'), member: p('member') }).onConflictDoNothing().prepare(),
      invite: db
        .select()
        .from(groupInvites)
        .where(and(inGroup(groupInvites), eq(groupInvites.inviteId, p('inviteId'))))
        .prepare(),
      putInvite: db
        .insert(groupInvites)
        .values({
          groupId: p('groupId'),
          inviteId: p('inviteId'),
          issuer: p('issuer'),
          passwordHash: p('passwordHash'),
          expiresAt: p('expiresAt'),
          maxUses: p('maxUses'),
          uses: p('uses'),
          role: p('role'),
          requireApproval: p('requireApproval'),
          revoked: p('revoked'),
          signingKey: p('signingKey'),
        })
        .prepare(),
      useInvite: db
        .update(groupInvites)
        .set({ uses: sql`${groupInvites.uses} + 1` })
        .where(and(inGroup(groupInvites), eq(groupInvites.inviteId, p('inviteId'))))
        .prepare(),
      revokeInvite: db
        .update(groupInvites)
        .set({ revoked: true })
        .where(and(inGroup(groupInvites), eq(groupInvites.inviteId, p('inviteId'))))
        .prepare(),
      appendChange: db
        .insert(groupChanges)
        .values({ groupId: p('groupId'), version: p('version'), body: p('body'), receivedAt: p('receivedAt') })
        .prepare(),
      change: db
        .select({ version: groupChanges.version, body: groupChanges.body, receivedAt: groupChanges.receivedAt })
        .from(groupChanges)
        .where(and(inGroup(groupChanges), eq(groupChanges.version, p('version'))))
        .prepare(),
      changes: db
        .select({ version: groupChanges.version, body: groupChanges.body, receivedAt: groupChanges.receivedAt })
        .from(groupChanges)
        .where(and(inGroup(groupChanges), gte(groupChanges.version, p('from'))))
        .orderBy(asc(groupChanges.version))
        .limit(p('limit'))
        .prepare(),
    };
  }

  get(groupId: string): GroupRecord | undefined {
    return this.q.get.get({ groupId });
  }

  insert(group: GroupRecord): void {
    this.db
      .insert(groups)
      .values({ ...group, publicParams: Buffer.from(group.publicParams), attributes: Buffer.from(group.attributes) })
      .run();
  }

  /** Moves the group from `from` to `from + 1`; false when another writer got there first. */
  bumpVersion(groupId: string, from: number): boolean {
    return this.q.bumpVersion.run({ groupId, from }).changes === 1;
  }

  setAttributes(groupId: string, attributes: Uint8Array): void {
    this.db.update(groups).set({ attributes: Buffer.from(attributes) }).where(eq(groups.id, groupId)).run();
  }

  setMembersCanInvite(groupId: string, membersCanInvite: boolean): void {
    this.db.update(groups).set({ membersCanInvite }).where(eq(groups.id, groupId)).run();
  }

  // ---- members ----

  member(groupId: string, member: string): (MemberInfo & { profile: Uint8Array | null }) | undefined {
    const row = this.q.member.get({ groupId, member });
    return row && { role: row.role, inviteId: row.inviteId ?? undefined, profile: row.profile, signingKey: row.signingKey ?? undefined };
  }

  /** Every current member's ciphertext (base64), sorted: the deterministic order endorsements use. */
  memberCiphertexts(groupId: string): string[] {
    return this.db
      .select({ member: groupMembers.member })
      .from(groupMembers)
      .where(eq(groupMembers.groupId, groupId))
      .orderBy(asc(groupMembers.member))
      .all()
      .map((r) => r.member);
  }

  /** Members of the group (counted on the primary-key index). */
  memberCount(groupId: string): number {
    return this.q.memberCount.get({ groupId })?.n ?? 0;
  }

  adminCount(groupId: string): number {
    return this.q.adminCount.get({ groupId })?.n ?? 0;
  }

  /** Inserts or replaces a member; an undefined profile or signing key keeps the stored one (role changes carry none). */
  putMember(groupId: string, member: string, role: Role, inviteId: string | undefined, profile: Uint8Array | undefined, signingKey: string | undefined): void {
    this.q.putMember.run({ groupId, member, role, inviteId: inviteId ?? null, profile: profile === undefined ? null : Buffer.from(profile), signingKey: signingKey ?? null });
  }

  deleteMember(groupId: string, member: string): void {
    this.q.deleteMember.run({ groupId, member });
  }

  // ---- pending ----

  pending(groupId: string, member: string): (PendingInfo & { profile: Uint8Array }) | undefined {
    const row = this.q.pending.get({ groupId, member });
    return row && { inviteId: row.inviteId, profile: row.profile, signingKey: row.signingKey ?? undefined };
  }

  putPending(groupId: string, member: string, inviteId: string, profile: Uint8Array, signingKey: string): void {
    this.q.putPending.run({ groupId, member, inviteId, profile: Buffer.from(profile), signingKey });
  }

  deletePending(groupId: string, member: string): void {
    this.q.deletePending.run({ groupId, member });
  }

  // ---- banned ----

  isBanned(groupId: string, member: string): boolean {
    return this.q.banned.get({ groupId, member }) !== undefined;
  }

  ban(groupId: string, member: string): void {
    this.q.ban.run({ groupId, member });
  }

  // ---- invites ----

  invite(groupId: string, inviteId: string): InviteRecord | undefined {
    const row = this.q.invite.get({ groupId, inviteId });
    return row && toInvite(row);
  }

  putInvite(groupId: string, invite: InviteRecord): void {
    this.q.putInvite.run({
      groupId,
      inviteId: invite.inviteId,
      issuer: invite.issuer,
      passwordHash: Buffer.from(invite.passwordHash),
      expiresAt: invite.expiresAt,
      maxUses: invite.maxUses,
      uses: invite.uses,
      role: invite.role,
      // Placeholders bypass drizzle's boolean mapping; SQLite stores 0/1 either way.
      requireApproval: invite.requireApproval ? 1 : 0,
      revoked: invite.revoked ? 1 : 0,
      signingKey: invite.signingKey ?? null,
    });
  }

  useInvite(groupId: string, inviteId: string): void {
    this.q.useInvite.run({ groupId, inviteId });
  }

  revokeInvite(groupId: string, inviteId: string): void {
    this.q.revokeInvite.run({ groupId, inviteId });
  }

  // ---- log ----

  appendChange(groupId: string, row: ChangeRow): void {
    this.q.appendChange.run({ groupId, ...row });
  }

  /** One logged change (the head, when the service checks a new change's chain link). */
  change(groupId: string, version: number): ChangeRow | undefined {
    return this.q.change.get({ groupId, version });
  }

  changes(groupId: string, fromVersion: number, limit: number): ChangeRow[] {
    return this.q.changes.all({ groupId, from: fromVersion, limit });
  }

  // ---- checkpoints ----

  putCheckpoint(groupId: string, row: CheckpointRow, keep: number): void {
    this.db.insert(groupCheckpoints).values({ groupId, ...row }).run();
    const kept = this.db
      .select({ version: groupCheckpoints.version })
      .from(groupCheckpoints)
      .where(eq(groupCheckpoints.groupId, groupId))
      .orderBy(desc(groupCheckpoints.version))
      .limit(1)
      .offset(keep - 1)
      .get();
    if (kept) this.db.delete(groupCheckpoints).where(and(eq(groupCheckpoints.groupId, groupId), lt(groupCheckpoints.version, kept.version))).run();
  }

  checkpointAtOrBefore(groupId: string, version: number): CheckpointRow | undefined {
    return this.db
      .select({ version: groupCheckpoints.version, snapshot: groupCheckpoints.snapshot })
      .from(groupCheckpoints)
      .where(and(eq(groupCheckpoints.groupId, groupId), lte(groupCheckpoints.version, version)))
      .orderBy(desc(groupCheckpoints.version))
      .limit(1)
      .get();
  }
}

function toInvite(row: typeof groupInvites.$inferSelect): InviteRecord {
  return {
    inviteId: row.inviteId,
    issuer: row.issuer,
    passwordHash: row.passwordHash,
    expiresAt: row.expiresAt,
    maxUses: row.maxUses,
    uses: row.uses,
    role: row.role,
    requireApproval: row.requireApproval,
    revoked: row.revoked,
    signingKey: row.signingKey ?? undefined,
  };
}
