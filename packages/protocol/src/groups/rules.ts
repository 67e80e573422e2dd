import { ProtocolError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { authenticateChange, type AuthenticityContext } from './authenticity.js';
import type { GroupAction, GroupChange, Role } from './schemas.js';
import type { GroupView, InviteInfo, MemberInfo, PendingInfo } from './view.js';

/**
 * The rules of a group, written once and run on both sides: the relay runs them on member
 * ciphertexts before it stores a change, and every client runs them again on the verified log, so a
 * relay that skips a rule (or invents a change) is caught by the clients. Pure and synchronous:
 * callers supply a read-only view of the current state and apply the returned effects themselves.
 */

export type { GroupView, InviteInfo, MemberInfo, PendingInfo } from './view.js';

export interface RuleContext extends RulesOnlyContext {
  /** Chain link, signatures and time, checked before any rule (authenticity.ts). */
  authenticity: AuthenticityContext;
}

export interface RulesOnlyContext {
  /** Checks invite expiry against this time (the relay does; clients check the join's signed `at`). */
  now?: number | undefined;
  /** Checks that the joiner holds the invite secret; throws INVITE_INVALID if not. */
  authorizeInvite(inviteId: string, action: GroupAction): void;
  /**
   * Base64 SHA-256 of `checkpointState` of the state before the change (checkpoint.ts), asked only
   * for a checkpoint action. The relay and every client pass it; only a replay of changes that were
   * already checked (the relay rebuilding a snapshot) leaves it out, and the relay's first pass over
   * a checkpoint, which runs every other check before the replay that hash needs.
   */
  stateHash?: (() => string) | undefined;
}

export type GroupEffect =
  | { type: 'member.put'; member: string; role: Role; inviteId?: string | undefined; profile?: string | undefined; signingKey?: string | undefined }
  | { type: 'member.delete'; member: string }
  | { type: 'pending.put'; member: string; inviteId: string; profile: string; signingKey: string }
  | { type: 'pending.delete'; member: string }
  | { type: 'banned.put'; member: string }
  | { type: 'invite.put'; inviteId: string; invite: InviteInfo; passwordHash: string }
  | { type: 'invite.use'; inviteId: string }
  | { type: 'invite.revoke'; inviteId: string }
  | { type: 'attributes.set'; attributes: string }
  | { type: 'access.set'; membersCanInvite: boolean }
  | { type: 'checkpoint.put'; stateHash: string };

const deny = (code: 'FORBIDDEN' | 'NOT_A_MEMBER' | 'INVITE_INVALID' | 'BANNED' | 'GROUP_CONFLICT' | 'BAD_REQUEST', message: string) =>
  new ProtocolError(code, message);

/**
 * Checks `change`'s authenticity (authenticity.ts), then the rules, and returns what it does. Throws
 * a ProtocolError naming the first check or rule it breaks; on a throw nothing is to be applied.
 * Later actions see earlier ones.
 */
export function evaluateChange(view: GroupView, change: GroupChange, ctx: RuleContext): GroupEffect[] {
  authenticateChange(view, change, ctx.authenticity);
  return evaluateRules(view, change, ctx);
}

/**
 * The rules alone, for a change whose authenticity was checked already (the relay replaying its own
 * log into a snapshot). Everyone else calls `evaluateChange`.
 */
export function evaluateRules(view: GroupView, change: GroupChange, ctx: RulesOnlyContext): GroupEffect[] {
  const state = new Overlay(view);
  const effects: GroupEffect[] = [];
  const actor = change.actor;
  const emit = (e: GroupEffect) => {
    effects.push(e);
    state.apply(e);
  };
  const requireAdmin = (what: string) => {
    if (state.member(actor)?.role !== 'admin') throw deny('FORBIDDEN', `only admins may ${what}`);
  };

  const first = change.actions[0];
  if (view.version === -1) {
    if (first?.type !== 'create') throw deny('BAD_REQUEST', 'a group starts with a create action');
  } else if (first?.type === 'create') {
    throw deny('GROUP_CONFLICT', 'the group already exists');
  }
  const selfJoin = first?.type === 'join' || first?.type === 'requestJoin';
  if (selfJoin && change.actions.length !== 1) throw deny('BAD_REQUEST', 'a join is a change of its own');
  // The hash is of the state after the previous change: an action before it in the same change would move it.
  if (change.actions.length !== 1 && change.actions.some((a) => a.type === 'checkpoint')) throw deny('BAD_REQUEST', 'a checkpoint is a change of its own');
  if (!selfJoin && first?.type !== 'create' && !state.member(actor)) throw deny('NOT_A_MEMBER', 'only members change a group');

  for (const [i, action] of change.actions.entries()) {
    switch (action.type) {
      case 'create':
        if (i !== 0) throw deny('BAD_REQUEST', 'create comes first');
        emit({ type: 'member.put', member: actor, role: 'admin', profile: action.profile, signingKey: action.signingKey });
        emit({ type: 'attributes.set', attributes: action.attributes });
        emit({ type: 'access.set', membersCanInvite: action.membersCanInvite });
        break;
      case 'join':
      case 'requestJoin': {
        if (state.isBanned(actor)) throw deny('BANNED', 'this member is banned from the group');
        if (state.member(actor)) throw deny('GROUP_CONFLICT', 'already a member');
        if (state.pending(actor)) throw deny('GROUP_CONFLICT', 'a join request is already pending');
        const invite = state.invite(action.inviteId);
        if (!invite || invite.revoked) throw deny('INVITE_INVALID', 'the invite is unknown or revoked');
        if (invite.uses >= invite.maxUses) throw deny('INVITE_INVALID', 'the invite is used up');
        if (ctx.now !== undefined && ctx.now >= invite.expiresAt) throw deny('INVITE_INVALID', 'the invite has expired');
        if (invite.requireApproval !== (action.type === 'requestJoin')) {
          throw deny('FORBIDDEN', invite.requireApproval ? 'this invite needs an admin to approve joins' : 'this invite admits directly');
        }
        if (state.memberCount >= LIMITS.maxGroupMembers) throw deny('FORBIDDEN', 'the group is full');
        ctx.authorizeInvite(action.inviteId, action);
        emit({ type: 'invite.use', inviteId: action.inviteId });
        if (action.type === 'join') emit({ type: 'member.put', member: actor, role: invite.role, inviteId: action.inviteId, profile: action.profile, signingKey: action.signingKey });
        else emit({ type: 'pending.put', member: actor, inviteId: action.inviteId, profile: action.profile, signingKey: action.signingKey });
        break;
      }
      case 'approve': {
        requireAdmin('approve join requests');
        const pending = state.pending(action.member);
        if (!pending) throw deny('BAD_REQUEST', 'no such join request');
        const role = state.invite(pending.inviteId)?.role ?? 'member';
        emit({ type: 'pending.delete', member: action.member });
        emit({ type: 'member.put', member: action.member, role, inviteId: pending.inviteId, signingKey: pending.signingKey });
        break;
      }
      case 'deny':
        requireAdmin('deny join requests');
        if (!state.pending(action.member)) throw deny('BAD_REQUEST', 'no such join request');
        emit({ type: 'pending.delete', member: action.member });
        if (action.ban) emit({ type: 'banned.put', member: action.member });
        break;
      case 'remove':
        requireAdmin('remove members');
        if (action.member === actor) throw deny('BAD_REQUEST', 'use leave to leave');
        if (!state.member(action.member)) throw deny('BAD_REQUEST', 'not a member');
        emit({ type: 'member.delete', member: action.member });
        if (action.ban) emit({ type: 'banned.put', member: action.member });
        break;
      case 'leave': {
        const me = state.member(actor);
        if (!me) throw deny('NOT_A_MEMBER', 'not a member');
        if (me.role === 'admin' && state.adminCount === 1 && state.memberCount > 1) {
          throw deny('FORBIDDEN', 'the last admin must make someone else admin before leaving');
        }
        emit({ type: 'member.delete', member: actor });
        break;
      }
      case 'setRole': {
        requireAdmin('change roles');
        const target = state.member(action.member);
        if (!target) throw deny('BAD_REQUEST', 'not a member');
        if (target.role === 'admin' && action.role !== 'admin' && state.adminCount === 1) {
          throw deny('FORBIDDEN', 'a group keeps at least one admin');
        }
        emit({ type: 'member.put', member: action.member, role: action.role, inviteId: target.inviteId, signingKey: target.signingKey });
        break;
      }
      case 'setAttributes':
        requireAdmin('change the title or description');
        emit({ type: 'attributes.set', attributes: action.attributes });
        break;
      case 'setAccess':
        requireAdmin('change who may invite');
        emit({ type: 'access.set', membersCanInvite: action.membersCanInvite });
        break;
      case 'createInvite': {
        const me = state.member(actor);
        const isAdmin = me?.role === 'admin';
        if (!isAdmin && !state.membersCanInvite) throw deny('FORBIDDEN', 'only admins may invite in this group');
        if (!isAdmin && (action.role === 'admin' || !action.requireApproval)) {
          // A member's invite can neither make admins nor admit without an admin's approval.
          throw deny('FORBIDDEN', 'members may only create invites that need approval and grant the member role');
        }
        if (state.invite(action.inviteId)) throw deny('GROUP_CONFLICT', 'an invite with this id exists');
        emit({
          type: 'invite.put',
          inviteId: action.inviteId,
          passwordHash: action.passwordHash,
          invite: {
            issuer: actor,
            expiresAt: action.expiresAt,
            maxUses: action.maxUses,
            uses: 0,
            role: action.role,
            requireApproval: action.requireApproval,
            revoked: false,
            signingKey: action.signingKey,
          },
        });
        break;
      }
      case 'checkpoint': {
        requireAdmin('write checkpoints');
        if (ctx.stateHash !== undefined && ctx.stateHash() !== action.stateHash) {
          throw new ProtocolError('GROUP_CHANGE_INVALID', `the checkpoint at version ${change.version} does not match the group state`, { details: { reason: 'bad-checkpoint' } });
        }
        emit({ type: 'checkpoint.put', stateHash: action.stateHash });
        break;
      }
      case 'revokeInvite': {
        const invite = state.invite(action.inviteId);
        if (!invite) throw deny('BAD_REQUEST', 'no such invite');
        if (invite.issuer !== actor && state.member(actor)?.role !== 'admin') throw deny('FORBIDDEN', 'only admins or the issuer may revoke an invite');
        emit({ type: 'invite.revoke', inviteId: action.inviteId });
        break;
      }
    }
  }
  return effects;
}

/** The view plus the effects of earlier actions in the same change. */
class Overlay implements GroupView {
  private readonly members = new Map<string, MemberInfo | null>();
  private readonly pendings = new Map<string, PendingInfo | null>();
  private readonly banned = new Set<string>();
  private readonly invites = new Map<string, InviteInfo>();
  // Counts are read from the base view only if a rule asks for them: on the relay each one is a query.
  private memberDelta = 0;
  private adminDelta = 0;
  private access: boolean | undefined;

  constructor(private readonly base: GroupView) {}
  get memberCount(): number {
    return this.base.memberCount + this.memberDelta;
  }
  get adminCount(): number {
    return this.base.adminCount + this.adminDelta;
  }
  get membersCanInvite(): boolean {
    return this.access ?? this.base.membersCanInvite;
  }
  get version(): number {
    return this.base.version;
  }
  member(m: string): MemberInfo | undefined {
    const o = this.members.get(m);
    return o === null ? undefined : (o ?? this.base.member(m));
  }
  pending(m: string): PendingInfo | undefined {
    const o = this.pendings.get(m);
    return o === null ? undefined : (o ?? this.base.pending(m));
  }
  isBanned(m: string): boolean {
    return this.banned.has(m) || this.base.isBanned(m);
  }
  invite(id: string): InviteInfo | undefined {
    return this.invites.get(id) ?? this.base.invite(id);
  }

  apply(e: GroupEffect): void {
    switch (e.type) {
      case 'member.put': {
        const before = this.member(e.member);
        if (!before) this.memberDelta++;
        if (before?.role === 'admin') this.adminDelta--;
        if (e.role === 'admin') this.adminDelta++;
        this.members.set(e.member, { role: e.role, inviteId: e.inviteId, signingKey: e.signingKey });
        break;
      }
      case 'member.delete': {
        const before = this.member(e.member);
        if (before) this.memberDelta--;
        if (before?.role === 'admin') this.adminDelta--;
        this.members.set(e.member, null);
        break;
      }
      case 'pending.put':
        this.pendings.set(e.member, { inviteId: e.inviteId, signingKey: e.signingKey });
        break;
      case 'pending.delete':
        this.pendings.set(e.member, null);
        break;
      case 'banned.put':
        this.banned.add(e.member);
        break;
      case 'invite.put':
        this.invites.set(e.inviteId, e.invite);
        break;
      case 'invite.use': {
        const inv = this.invite(e.inviteId);
        if (inv) this.invites.set(e.inviteId, { ...inv, uses: inv.uses + 1 });
        break;
      }
      case 'invite.revoke': {
        const inv = this.invite(e.inviteId);
        if (inv) this.invites.set(e.inviteId, { ...inv, revoked: true });
        break;
      }
      case 'access.set':
        this.access = e.membersCanInvite;
        break;
      case 'attributes.set':
      case 'checkpoint.put':
        break;
    }
  }
}
