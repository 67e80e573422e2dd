import { canonicalJson } from '../canonical-json.js';
import { ProtocolError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { GroupView } from './view.js';
import type { GroupChange } from './schemas.js';

/**
 * The checks that make a group change belong in the log, all on clear data, so the relay runs them
 * before it stores a change and every client runs them again on what it is served
 * (docs/groups.md "What the relay checks"). Pure: the caller supplies the signature check (libsignal's
 * XEdDSA verify on both sides) and the head it holds.
 */

export interface AuthenticityContext {
  /** Hex group id: part of what is signed, so a change cannot be replayed into another group. */
  groupId: string;
  /** Base64 SHA-256 of the change at `view.version` (32 zero bytes before version 0). */
  headHash: string;
  /** `at` of the change at `view.version`; undefined before version 0. */
  headAt?: number | undefined;
  /** The relay's clock: a change's `at` must be within the skew of it. Clients replaying the log pass none. */
  now?: number | undefined;
  /** XEdDSA verify of `signature` (base64) over the UTF-8 of `message` with `publicKey` (base64, 33 bytes). */
  verify(publicKey: string, message: string, signature: string): boolean;
}

/** Why a change failed, in `ProtocolError.details.reason`: clients name it in their errors. */
export type AuthenticityFailure =
  | 'version-mismatch'
  | 'prev-hash-mismatch'
  | 'bad-time'
  | 'bad-signature'
  | 'no-signing-key'
  | 'bad-invite-signature'
  | 'expired-invite'
  | 'missing-proof'
  | 'unexpected-proof'
  /** A checkpoint whose `stateHash` is not the hash of the state it follows (rules.ts). */
  | 'bad-checkpoint';

/** The UTF-8 text that `signature` and `inviteSignature` sign (docs/groups.md "What is signed"). */
export function changeSigningMessage(groupId: string, change: Omit<GroupChange, 'signature' | 'inviteSignature'>): string {
  const { version, actor, actions, prevHash, at, proof } = change;
  return canonicalJson(['aviso-group-change-v2', groupId, version, actor, actions, prevHash, at, proof ?? null]);
}

/** The UTF-8 text a member's identity key signs to bind a pseudonym and signing key to itself. */
export function memberBindingMessage(groupId: string, actor: string, signingKey: string): string {
  return canonicalJson(['aviso-group-member-v2', groupId, actor, signingKey]);
}

/** The action that brings the actor in (create, join, requestJoin), if this change is one. */
export function enteringAction(change: Pick<GroupChange, 'actions'>) {
  const first = change.actions[0];
  return first?.type === 'create' || first?.type === 'join' || first?.type === 'requestJoin' ? first : undefined;
}

const fail = (code: 'GROUP_CONFLICT' | 'GROUP_CHANGE_INVALID' | 'INVITE_INVALID' | 'NOT_A_MEMBER', reason: AuthenticityFailure | undefined, message: string) =>
  new ProtocolError(code, message, reason === undefined ? {} : { details: { reason } });

/**
 * Throws a ProtocolError (details.reason names the failure) unless `change` chains to the head, is
 * signed by the actor's signing key (an entering change: by the key it brings), a join is also signed
 * by its invite's key, its time is plausible, and only entering changes carry an identity proof.
 * The version and the group rules are `evaluateChange`'s, which calls this first.
 */
export function authenticateChange(view: GroupView, change: GroupChange, ctx: AuthenticityContext): void {
  if (change.version !== view.version + 1) {
    throw fail('GROUP_CONFLICT', 'version-mismatch', `change is for version ${change.version}, the group is at ${view.version}`);
  }
  if (view.version === -1 && change.actions[0]?.type !== 'create') throw new ProtocolError('BAD_REQUEST', 'a group starts with a create action');
  if (change.prevHash !== ctx.headHash) throw fail('GROUP_CONFLICT', 'prev-hash-mismatch', `version ${change.version} does not chain to the head of version ${view.version}`);
  const skew = LIMITS.maxGroupChangeSkewMs;
  if (ctx.now !== undefined && Math.abs(change.at - ctx.now) > skew) {
    throw fail('GROUP_CHANGE_INVALID', 'bad-time', `the change is dated ${new Date(change.at).toISOString()}, more than ${skew / 60_000} minutes from the relay's clock`);
  }
  // Each `at` was within the skew of the relay's clock when it arrived, and arrivals are in order.
  if (ctx.headAt !== undefined && change.at < ctx.headAt - 2 * skew) {
    throw fail('GROUP_CHANGE_INVALID', 'bad-time', `version ${change.version} is dated before version ${view.version}`);
  }

  const entering = enteringAction(change);
  if (entering && change.proof === undefined) throw fail('GROUP_CHANGE_INVALID', 'missing-proof', 'a change that brings a member in carries its identity proof');
  if (!entering && change.proof !== undefined) throw fail('GROUP_CHANGE_INVALID', 'unexpected-proof', 'only a change that brings a member in carries an identity proof');

  let signingKey: string | undefined;
  if (entering) {
    signingKey = entering.signingKey;
  } else {
    const member = view.member(change.actor);
    if (!member) throw fail('NOT_A_MEMBER', undefined, 'only members change a group');
    signingKey = member.signingKey;
    if (signingKey === undefined) throw fail('GROUP_CHANGE_INVALID', 'no-signing-key', 'this member joined under protocol 1 and has no signing key; the group must be created again');
  }
  const message = changeSigningMessage(ctx.groupId, change);
  if (!ctx.verify(signingKey, message, change.signature)) throw fail('GROUP_CHANGE_INVALID', 'bad-signature', `the signature of version ${change.version} does not verify`);

  if (entering && entering.type !== 'create') {
    const invite = view.invite(entering.inviteId);
    if (invite) {
      if (invite.signingKey === undefined || change.inviteSignature === undefined || !ctx.verify(invite.signingKey, message, change.inviteSignature)) {
        throw fail('INVITE_INVALID', 'bad-invite-signature', 'the join is not signed with the invite\'s key');
      }
      if (change.at >= invite.expiresAt) throw fail('INVITE_INVALID', 'expired-invite', 'the join is dated after the invite expired');
    }
  } else if (change.inviteSignature !== undefined) {
    throw fail('GROUP_CHANGE_INVALID', 'bad-invite-signature', 'only a join carries an invite signature');
  }
}
