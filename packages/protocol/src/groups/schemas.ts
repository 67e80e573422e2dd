import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { base64Bytes, EcPublicKey, Signature, Timestamp } from '../primitives.js';

/**
 * Private groups, as the relay sees them. Members appear only as zkgroup `UuidCiphertext`s
 * (deterministic per group, so the relay can compare them, unlinkable across groups); titles, names
 * and every proof are blobs encrypted under the group's secret params, which the relay never holds.
 * docs/groups.md is the design.
 */

/** Group identifier: hex of libsignal's 32-byte `GroupIdentifier` (derived from the public params). */
export const GroupId = z.string().regex(/^[0-9a-f]{64}$/, 'a group id is 64 lower-case hex digits');
export type GroupId = z.infer<typeof GroupId>;

/** A member as the relay knows it: a `UuidCiphertext` (65 bytes). */
export const MemberCiphertext = base64Bytes(65, 65);
export type MemberCiphertext = z.infer<typeof MemberCiphertext>;

/** 16 random bytes naming an invite. */
export const InviteId = base64Bytes(16, 16);
export type InviteId = z.infer<typeof InviteId>;

export const Role = z.enum(['admin', 'member']);
export type Role = z.infer<typeof Role>;

export const GroupPublicParams = base64Bytes(97, 97);
export const AuthPresentation = base64Bytes(2048, 64);
export const EncryptedAttributes = base64Bytes(LIMITS.maxGroupAttributesBytes);
export const EncryptedProfile = base64Bytes(LIMITS.maxGroupProfileBytes);
export const EncryptedProof = base64Bytes(LIMITS.maxGroupProofBytes);
/** A member's per-group pseudonymous signing key, or an invite's: a serialized libsignal EC public key. */
export const SigningKey = EcPublicKey;
/** SHA-256 of the previous change's canonical JSON. */
export const ChangeHash = base64Bytes(32, 32);
/** Whole minutes since the epoch, in milliseconds: the log keeps no finer time than a minute. */
export const MinuteTimestamp = Timestamp.refine((t) => t % 60_000 === 0, 'must be a whole minute');

// ---- actions: what the relay enforces (on ciphertexts) and every client re-checks (on plaintext) ----
export const CreateAction = z.object({
  type: z.literal('create'),
  attributes: EncryptedAttributes,
  profile: EncryptedProfile,
  membersCanInvite: z.boolean(),
  /** The creator's signing key for this group (docs/groups.md "Member signing key"). */
  signingKey: SigningKey,
});
export const JoinAction = z.object({ type: z.literal('join'), inviteId: InviteId, profile: EncryptedProfile, signingKey: SigningKey });
export const RequestJoinAction = z.object({ type: z.literal('requestJoin'), inviteId: InviteId, profile: EncryptedProfile, signingKey: SigningKey });
export const ApproveAction = z.object({ type: z.literal('approve'), member: MemberCiphertext });
export const DenyAction = z.object({ type: z.literal('deny'), member: MemberCiphertext, ban: z.boolean() });
export const RemoveAction = z.object({ type: z.literal('remove'), member: MemberCiphertext, ban: z.boolean() });
export const LeaveAction = z.object({ type: z.literal('leave') });
export const SetRoleAction = z.object({ type: z.literal('setRole'), member: MemberCiphertext, role: Role });
export const SetAttributesAction = z.object({ type: z.literal('setAttributes'), attributes: EncryptedAttributes });
export const SetAccessAction = z.object({ type: z.literal('setAccess'), membersCanInvite: z.boolean() });
export const CreateInviteAction = z.object({
  type: z.literal('createInvite'),
  inviteId: InviteId,
  /** SHA-256 of the relay password derived from the invite secret; the relay compares joins against it. */
  passwordHash: base64Bytes(32, 32),
  expiresAt: Timestamp,
  maxUses: z.int().min(1).max(LIMITS.maxGroupMembers),
  role: Role,
  requireApproval: z.boolean(),
  /** Public half of the key derived from the invite secret: every join through this invite is signed with it. */
  signingKey: SigningKey,
});
export const RevokeInviteAction = z.object({ type: z.literal('revokeInvite'), inviteId: InviteId });
/**
 * An admin's statement of the group state after the previous change (docs/groups.md "Checkpoints"):
 * `stateHash` is SHA-256 of `checkpointState` of that state. A change of its own.
 */
export const CheckpointAction = z.object({ type: z.literal('checkpoint'), stateHash: ChangeHash });

export const GroupAction = z.discriminatedUnion('type', [
  CreateAction,
  JoinAction,
  RequestJoinAction,
  ApproveAction,
  DenyAction,
  RemoveAction,
  LeaveAction,
  SetRoleAction,
  SetAttributesAction,
  SetAccessAction,
  CreateInviteAction,
  RevokeInviteAction,
  CheckpointAction,
]);
export type GroupAction = z.infer<typeof GroupAction>;

/**
 * One entry of a group's change log, stored and served verbatim. `actor` must equal the ciphertext in
 * the request's presentation. Everything that decides whether the change belongs in the log is in the
 * clear and checked by the relay before it stores it (docs/groups.md "The change log"): the chain link
 * `prevHash`, the time `at`, `signature` by the actor's per-group signing key and, for joins,
 * `inviteSignature` by the invite's key. Only `proof`, on entering changes, is encrypted: it binds the
 * pseudonym and signing key to the member's account and identity key, for members' eyes.
 */
export const GroupChange = z
  .object({
    version: z.int().min(0),
    actor: MemberCiphertext,
    actions: z.array(GroupAction).min(1).max(LIMITS.maxGroupActions),
    prevHash: ChangeHash,
    at: MinuteTimestamp,
    signature: Signature,
    inviteSignature: Signature.optional(),
    proof: EncryptedProof.optional(),
  })
  .strict();
export type GroupChange = z.infer<typeof GroupChange>;

/** A logged change with the relay's receipt time (minute granularity). */
export const GroupChangeRecord = GroupChange.extend({ receivedAt: Timestamp });
export type GroupChangeRecord = z.infer<typeof GroupChangeRecord>;

// ---- HTTP bodies ----

/** `PUT /v1/groups/:groupId`: creates the group with its version-0 change. */
export const CreateGroupRequest = z.object({ publicParams: GroupPublicParams, change: GroupChange }).strict();
export type CreateGroupRequest = z.infer<typeof CreateGroupRequest>;

/** `POST /v1/groups/:groupId/changes`: appends one change (version = current + 1). */
export const AppendChangeRequest = z.object({ change: GroupChange }).strict();
export type AppendChangeRequest = z.infer<typeof AppendChangeRequest>;

export const AppendChangeResponse = z.object({ version: z.int().min(0) });

/** `GET /v1/groups/:groupId/changes?from=N&limit=M` */
export const ChangesQuery = z.object({
  from: z.coerce.number().pipe(z.int().min(0)),
  limit: z.coerce.number().pipe(z.int().min(1).max(LIMITS.maxGroupChangesPerFetch)).optional(),
});
export const ChangesResponse = z.object({
  publicParams: GroupPublicParams,
  currentVersion: z.int().min(0),
  changes: z.array(GroupChangeRecord),
});
export type ChangesResponse = z.infer<typeof ChangesResponse>;

/**
 * `GET /v1/groups/:groupId/join/:inviteId`: what a holder of a valid invite sees before joining, and all
 * that an invite password reveals (docs/groups.md "What an invite password alone reveals").
 */
export const JoinInfoResponse = z.object({
  publicParams: GroupPublicParams,
  currentVersion: z.int().min(0),
  /** Hash of the change at `currentVersion`: a join chains to it. */
  headHash: ChangeHash,
  /** `at` of the change at `currentVersion`. */
  headAt: Timestamp,
  attributes: EncryptedAttributes,
  memberCount: z.int().min(0),
  requireApproval: z.boolean(),
  role: Role,
});
export type JoinInfoResponse = z.infer<typeof JoinInfoResponse>;

/** `GET /v1/groups/:groupId/checkpoint?atOrBefore=N` */
export const CheckpointQuery = z.object({ atOrBefore: z.coerce.number().pipe(z.int().min(0)) });
/**
 * The newest checkpoint at or before `atOrBefore`: the version of the checkpoint change, and the
 * snapshot its `stateHash` names, as the exact text that was hashed (`checkpointState`).
 */
export const CheckpointResponse = z.object({
  version: z.int().min(1),
  snapshot: z.string().max(LIMITS.maxCheckpointSnapshotBytes),
});
export type CheckpointResponse = z.infer<typeof CheckpointResponse>;

/** `GET /v1/certificate/auth/group?from=SECONDS&to=SECONDS` (day-aligned, at most 7 days). */
export const AuthCredentialsQuery = z.object({
  from: z.coerce.number().pipe(z.int().min(0)),
  to: z.coerce.number().pipe(z.int().min(0)),
});
export const AuthCredentialsResponse = z.object({
  /** Per-account salt for credentials without a PNI (zkgroup), fixed at registration. */
  authCredentialSalt: base64Bytes(32, 32),
  credentials: z.array(z.object({ redemptionTime: z.int().min(0), credential: base64Bytes(1024, 16) })).max(LIMITS.maxAuthCredentialDays + 1),
});
export type AuthCredentialsResponse = z.infer<typeof AuthCredentialsResponse>;

/** `POST /v1/registration-tokens`: a member mints a relay registration token to put inside an invite code. */
export const MintTokenRequest = z.object({ uses: z.int().min(1).max(1000), expiresAt: Timestamp }).strict();
export const MintTokenResponse = z.object({ token: z.string(), expiresAt: Timestamp });

/** Headers of group requests. */
export const GROUP_HEADERS = {
  /** base64 `AuthCredentialPresentation` for this group: the only credential a group request carries. */
  presentation: 'aviso-group-auth',
  /** base64 relay password of an invite, on join-info, log reads by a joiner, and join changes. */
  invitePassword: 'aviso-invite-password',
} as const;
