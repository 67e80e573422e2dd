import { and, asc, count, eq, gte, sql } from 'drizzle-orm';
import type { InviteInfo, MemberInfo, PendingInfo, Role } from '@aviso/protocol';
import type { Db } from '../db.js';
import { groupBanned, groupChanges, groupInvites, groupMembers, groupPending, groups } from '../schema.js';

export interface GroupRecord {
  id: string;
  publicParams: Uint8Array;
  version: number;
  attributes: Uint8Array;
  membersCanInvite: boolean;
}

export interface InviteRecord extends InviteInfo {
  inviteId: string;
  passwordHash: Uint8Array;
}

export interface ChangeRow {
  version: number;
  body: string;
  receivedAt: number;
}

/**
 * Group state keyed by group id and member ciphertext. Call mutating methods inside one transaction
 * (the service does): a change's log row, its effects and the version bump commit together.
 */
export class GroupsRepository {
  constructor(private readonly db: Db) {}

  get(groupId: string): GroupRecord | undefined {
    return this.db.select().from(groups).where(eq(groups.id, groupId)).get();
  }

  insert(group: GroupRecord): void {
    this.db
      .insert(groups)
      .values({ ...group, publicParams: Buffer.from(group.publicParams), attributes: Buffer.from(group.attributes) })
      .run();
  }

  /** Moves the group from `from` to `from + 1`; false when another writer got there first. */
  bumpVersion(groupId: string, from: number): boolean {
    return (
      this.db
        .update(groups)
        .set({ version: from + 1 })
        .where(and(eq(groups.id, groupId), eq(groups.version, from)))
        .run().changes === 1
    );
  }

  setAttributes(groupId: string, attributes: Uint8Array): void {
    this.db.update(groups).set({ attributes: Buffer.from(attributes) }).where(eq(groups.id, groupId)).run();
  }

  setMembersCanInvite(groupId: string, membersCanInvite: boolean): void {
    this.db.update(groups).set({ membersCanInvite }).where(eq(groups.id, groupId)).run();
  }

  // ---- members ----

  member(groupId: string, member: string): (MemberInfo & { profile: Uint8Array | null }) | undefined {
    const row = this.db
      .select({ role: groupMembers.role, inviteId: groupMembers.inviteId, profile: groupMembers.profile })
      .from(groupMembers)
      .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.member, member)))
      .get();
    return row && { role: row.role, inviteId: row.inviteId ?? undefined, profile: row.profile };
  }

  memberCounts(groupId: string): { members: number; admins: number } {
    const row = this.db
      .select({ members: count(), admins: sql<number>`coalesce(sum(${groupMembers.role} = 'admin'), 0)` })
      .from(groupMembers)
      .where(eq(groupMembers.groupId, groupId))
      .get();
    return { members: row?.members ?? 0, admins: Number(row?.admins ?? 0) };
  }

  /** Inserts or replaces a member; a null profile keeps the stored one (role changes carry none). */
  putMember(groupId: string, member: string, role: Role, inviteId: string | undefined, profile: Uint8Array | undefined): void {
    const p = profile === undefined ? null : Buffer.from(profile);
    this.db
      .insert(groupMembers)
      .values({ groupId, member, role, inviteId: inviteId ?? null, profile: p })
      .onConflictDoUpdate({
        target: [groupMembers.groupId, groupMembers.member],
        set: { role, inviteId: inviteId ?? null, profile: sql`coalesce(excluded.profile, ${groupMembers.profile})` },
      })
      .run();
  }

  deleteMember(groupId: string, member: string): void {
    this.db.delete(groupMembers).where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.member, member))).run();
  }

  // ---- pending ----

  pending(groupId: string, member: string): (PendingInfo & { profile: Uint8Array }) | undefined {
    return this.db
      .select({ inviteId: groupPending.inviteId, profile: groupPending.profile })
      .from(groupPending)
      .where(and(eq(groupPending.groupId, groupId), eq(groupPending.member, member)))
      .get();
  }

  putPending(groupId: string, member: string, inviteId: string, profile: Uint8Array): void {
    this.db
      .insert(groupPending)
      .values({ groupId, member, inviteId, profile: Buffer.from(profile) })
      .onConflictDoUpdate({ target: [groupPending.groupId, groupPending.member], set: { inviteId, profile: Buffer.from(profile) } })
      .run();
  }

  deletePending(groupId: string, member: string): void {
    this.db.delete(groupPending).where(and(eq(groupPending.groupId, groupId), eq(groupPending.member, member))).run();
  }

  // ---- banned ----

  isBanned(groupId: string, member: string): boolean {
    return (
      this.db
        .select({ m: groupBanned.member })
        .from(groupBanned)
        .where(and(eq(groupBanned.groupId, groupId), eq(groupBanned.member, member)))
        .get() !== undefined
    );
  }

  ban(groupId: string, member: string): void {
    this.db.insert(groupBanned).values({ groupId, member }).onConflictDoNothing().run();
  }

  // ---- invites ----

  invite(groupId: string, inviteId: string): InviteRecord | undefined {
    const row = this.db
      .select()
      .from(groupInvites)
      .where(and(eq(groupInvites.groupId, groupId), eq(groupInvites.inviteId, inviteId)))
      .get();
    return row && toInvite(row);
  }

  /** Invites of the group whose password hash is `hash` (normally at most one). */
  invitesByPasswordHash(groupId: string, hash: Uint8Array): InviteRecord[] {
    return this.db
      .select()
      .from(groupInvites)
      .where(and(eq(groupInvites.groupId, groupId), eq(groupInvites.passwordHash, Buffer.from(hash))))
      .all()
      .map(toInvite);
  }

  putInvite(groupId: string, invite: InviteRecord, sealed: Uint8Array): void {
    this.db
      .insert(groupInvites)
      .values({
        groupId,
        inviteId: invite.inviteId,
        issuer: invite.issuer,
        passwordHash: Buffer.from(invite.passwordHash),
        expiresAt: invite.expiresAt,
        maxUses: invite.maxUses,
        uses: invite.uses,
        role: invite.role,
        requireApproval: invite.requireApproval,
        revoked: invite.revoked,
        sealed: Buffer.from(sealed),
      })
      .run();
  }

  useInvite(groupId: string, inviteId: string): void {
    this.db
      .update(groupInvites)
      .set({ uses: sql`${groupInvites.uses} + 1` })
      .where(and(eq(groupInvites.groupId, groupId), eq(groupInvites.inviteId, inviteId)))
      .run();
  }

  revokeInvite(groupId: string, inviteId: string): void {
    this.db
      .update(groupInvites)
      .set({ revoked: true })
      .where(and(eq(groupInvites.groupId, groupId), eq(groupInvites.inviteId, inviteId)))
      .run();
  }

  // ---- log ----

  appendChange(groupId: string, row: ChangeRow): void {
    this.db.insert(groupChanges).values({ groupId, ...row }).run();
  }

  changes(groupId: string, fromVersion: number, limit: number): ChangeRow[] {
    return this.db
      .select({ version: groupChanges.version, body: groupChanges.body, receivedAt: groupChanges.receivedAt })
      .from(groupChanges)
      .where(and(eq(groupChanges.groupId, groupId), gte(groupChanges.version, fromVersion)))
      .orderBy(asc(groupChanges.version))
      .limit(limit)
      .all();
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
  };
}
