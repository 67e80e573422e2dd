import type { Role } from './schemas.js';

/**
 * Read access to a group's state, as the rules (rules.ts) and the authenticity checks
 * (authenticity.ts) see it: the relay backs it with SQL, each client with its verified state.
 */

export interface MemberInfo {
  role: Role;
  /** The invite the member joined with; absent for the creator. */
  inviteId?: string | undefined;
  /** The member's per-group signing key (base64); absent for members who joined under protocol 1. */
  signingKey?: string | undefined;
}
export interface PendingInfo {
  inviteId: string;
  signingKey?: string | undefined;
}
export interface InviteInfo {
  /** The member who created it. */
  issuer: string;
  expiresAt: number;
  maxUses: number;
  uses: number;
  role: Role;
  requireApproval: boolean;
  revoked: boolean;
  /** The invite's signing key (base64); absent for invites made under protocol 1, which admit nobody. */
  signingKey?: string | undefined;
}

/** Read access to a group's state at the version before the change. */
export interface GroupView {
  /** Current version; -1 when the group does not exist yet. */
  readonly version: number;
  readonly membersCanInvite: boolean;
  readonly memberCount: number;
  readonly adminCount: number;
  member(m: string): MemberInfo | undefined;
  pending(m: string): PendingInfo | undefined;
  isBanned(m: string): boolean;
  invite(inviteId: string): InviteInfo | undefined;
}
