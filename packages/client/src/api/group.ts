import { AccountId, RETENTION_LIMITS, type AckStatus, type GroupAction, type Role } from '@aviso/protocol';
import type { Alert, RollCall, SendAlertInput } from '../alerts/types.js';
import type { GroupKeys } from '../crypto/group-keys.js';
import { confusableNames, neutralizeDisplayName } from '../groups/display-name.js';
import { checkRetention, type CreateInviteInput, type GroupLog } from '../groups/group-log.js';
import type { GroupAttributes } from '../crypto/group-blobs.js';
import type { GroupSender } from '../messaging/group-sender.js';
import type { AlertBook } from './alert-book.js';
import type { GroupState } from '../stores/group-state.js';
import type { GroupStatus } from '../stores/interfaces.js';

export interface GroupMember {
  accountId: string;
  role: Role;
  /** As the member set it, neutralized (`neutralizeDisplayName`): no controls, invisible or bidi characters. */
  displayName: string | undefined;
  /** Other members and join requests whose names look like this one (`displayNameSkeleton`); usually empty. */
  confusableWith: string[];
  /** Account that issued the invite this member joined with; undefined for the creator. */
  invitedBy: string | undefined;
  /**
   * Serialized identity key (base64) from the member's identity proof in the signed log: the only key
   * the SDK encrypts to for this member. Undefined when the proof did not verify (`identityVerified`).
   */
  identityKey: string | undefined;
  /**
   * False when the identity proof of the change that brought the member in did not verify: they are
   * in the group (the relay checked their invite and signature) but nothing is encrypted to them and
   * their messages are dropped. An admin can remove them.
   */
  identityVerified: boolean;
}

export interface PendingMember {
  accountId: string;
  /** Neutralized, as in `GroupMember`. */
  displayName: string | undefined;
  /** Members and other join requests whose names look like this one. */
  confusableWith: string[];
  inviteId: string;
  invitedBy: string | undefined;
}

export interface GroupInvite {
  /** Standard base64, as `revokeInvite` takes it. */
  inviteId: string;
  /** Account that created the invite. */
  issuer: string | undefined;
  expiresAt: number;
  maxUses: number;
  uses: number;
  role: Role;
  requireApproval: boolean;
  revoked: boolean;
}

/**
 * One private group as this device last verified it. Getters read the verified state only (never
 * anything the relay said that did not verify); `sync()` pulls and verifies new changes.
 */
export class Group {
  readonly #log: GroupLog;
  readonly #sender: GroupSender;
  readonly #book: AlertBook;

  /** @internal Handles come from AvisoClient (`createGroup`, `join`, `groups`, `group`, events). */
  constructor(log: GroupLog, sender: GroupSender, book: AlertBook, readonly id: string) {
    this.#log = log;
    this.#sender = sender;
    this.#book = book;
  }

  get title(): string {
    return this.#state().title;
  }
  get description(): string {
    return this.#state().description;
  }
  /** The last verified version. */
  get version(): number {
    return this.#state().version;
  }
  get status(): GroupStatus {
    return this.#log.record(this.id).status;
  }
  /** Our role, or undefined when we are not (or no longer) a member. */
  get role(): Role | undefined {
    return this.#mine()?.role;
  }
  get membersCanInvite(): boolean {
    return this.#state().membersCanInvite;
  }

  /**
   * Members as verified (synced first when possible; a failed sync leaves the last verified state).
   * Right after a join from a checkpoint it waits for the snapshot members' accounts and identity
   * bindings to be checked, so `accountId` is confirmed and `identityVerified` is the check's
   * outcome, never "not checked yet".
   */
  async members(): Promise<GroupMember[]> {
    await this.#log.freshen(this.id);
    await this.#log.bindingsSettled(this.id);
    const s = this.#state();
    const keys = this.#log.keysOf(this.id);
    const alike = lookAlikes(s);
    return Object.values(s.members)
      .map((m) => ({
        accountId: m.accountId,
        role: m.role,
        displayName: neutralizeDisplayName(m.displayName) || undefined,
        confusableWith: alike.get(m.accountId) ?? [],
        invitedBy: issuerOf(s, keys, m.inviteId),
        identityKey: m.identityKey,
        identityVerified: m.identityKey !== undefined,
      }))
      .sort((a, b) => a.accountId.localeCompare(b.accountId));
  }

  async pendingMembers(): Promise<PendingMember[]> {
    await this.#log.freshen(this.id);
    await this.#log.bindingsSettled(this.id); // as members()
    const s = this.#state();
    const keys = this.#log.keysOf(this.id);
    const alike = lookAlikes(s);
    return Object.values(s.pending)
      .map((p) => ({ accountId: p.accountId, displayName: neutralizeDisplayName(p.displayName) || undefined, confusableWith: alike.get(p.accountId) ?? [], inviteId: p.inviteId, invitedBy: issuerOf(s, keys, p.inviteId) }))
      .sort((a, b) => a.accountId.localeCompare(b.accountId));
  }

  async invites(): Promise<GroupInvite[]> {
    await this.#log.freshen(this.id);
    const s = this.#state();
    const keys = this.#log.keysOf(this.id);
    return Object.entries(s.invites).map(([inviteId, i]) => ({
      inviteId,
      issuer: keys.accountOf(i.issuer),
      expiresAt: i.expiresAt,
      maxUses: i.maxUses,
      uses: i.uses,
      role: i.role,
      requireApproval: i.requireApproval,
      revoked: i.revoked,
    }));
  }

  sync(): Promise<void> {
    return this.#log.sync(this.id);
  }

  /** Returns the invite code (`<relay>/join#…`). */
  createInvite(input: CreateInviteInput = {}): Promise<string> {
    return this.#log.createInvite(this.id, input);
  }

  approve(accountId: string): Promise<void> {
    return this.#log.change(this.id, (_s, k) => [{ type: 'approve', member: pseudonym(k, accountId) }]);
  }

  deny(accountId: string, opts: { ban?: boolean } = {}): Promise<void> {
    return this.#log.change(this.id, (_s, k) => [{ type: 'deny', member: pseudonym(k, accountId), ban: opts.ban ?? false }]);
  }

  remove(accountId: string, opts: { ban?: boolean } = {}): Promise<void> {
    return this.#log.change(this.id, (_s, k) => [{ type: 'remove', member: pseudonym(k, accountId), ban: opts.ban ?? false }]);
  }

  setRole(accountId: string, role: Role): Promise<void> {
    return this.#log.change(this.id, (_s, k) => [{ type: 'setRole', member: pseudonym(k, accountId), role }]);
  }

  leave(): Promise<void> {
    return this.#log.change(this.id, () => [{ type: 'leave' }]);
  }

  setTitle(title: string): Promise<void> {
    return this.#setAttributes({ title });
  }

  setDescription(description: string): Promise<void> {
    return this.#setAttributes({ description });
  }

  /** Only admins may send alerts. Stored in the encrypted attributes, so only an admin can change it. */
  setAnnouncementsOnly(announcementsOnly: boolean): Promise<void> {
    return this.#setAttributes({ announcementsOnly });
  }

  get announcementsOnly(): boolean {
    return this.#state().announcementsOnly ?? false;
  }

  /**
   * How long every member's device keeps this group's alerts (history included), responses, notes,
   * texts and send log, in seconds: `RETENTION_LIMITS.minSeconds` (1 hour) to `maxSeconds` (30 days).
   * Admins only (the relay refuses others' attribute changes). Throws RetentionRangeError, changing
   * nothing, outside those bounds. docs/alerts.md "Retention".
   * @example
   * await group.setRetention(6 * 3600); // six hours
   */
  setRetention(seconds: number): Promise<void> {
    try {
      checkRetention(seconds);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.#setAttributes({ retentionSeconds: seconds });
  }

  /** The group's retention in seconds, as the verified attributes say (default 24 hours). */
  get retentionSeconds(): number {
    return this.#state().retentionSeconds ?? RETENTION_LIMITS.defaultSeconds;
  }

  #setAttributes(patch: Partial<GroupAttributes>): Promise<void> {
    return this.#log.change(this.id, (s, k) => [
      {
        type: 'setAttributes',
        // Every attribute is written again: the retention survives a title change and vice versa.
        attributes: this.#log.sealAttributes(k, {
          title: s.title,
          description: s.description,
          announcementsOnly: s.announcementsOnly ?? false,
          ...(s.retentionSeconds === undefined ? {} : { retentionSeconds: s.retentionSeconds }),
          ...patch,
        }),
      },
    ]);
  }

  setMembersCanInvite(membersCanInvite: boolean): Promise<void> {
    return this.#log.change(this.id, () => [{ type: 'setAccess', membersCanInvite }]);
  }

  /**
   * Revokes an invite (base64 or base64url id). With `removeMembers`, the same change also removes
   * everyone it admitted and denies its pending requests (a leaked invite is cleaned up at once). The
   * registration token in the invite's code is revoked as well when this device created the invite.
   */
  async revokeInvite(inviteId: string, opts: { removeMembers?: boolean } = {}): Promise<void> {
    const id = Buffer.from(inviteId, inviteId.includes('-') || inviteId.includes('_') ? 'base64url' : 'base64').toString('base64');
    await this.#log.change(this.id, (s) => {
      const me = s.members[this.#pseudonymOfMe()];
      const actions: GroupAction[] = [{ type: 'revokeInvite', inviteId: id }];
      if (opts.removeMembers) {
        for (const [member, m] of Object.entries(s.members)) if (m.inviteId === id && m !== me) actions.push({ type: 'remove', member, ban: false });
        for (const [member, p] of Object.entries(s.pending)) if (p.inviteId === id) actions.push({ type: 'deny', member, ban: false });
      }
      return actions;
    });
    // The code's registration token too, if this device minted it, so the code registers nobody.
    await this.#log.revokeInviteToken(this.id, id);
  }

  // ---- alerts and group messages (docs/alerts.md) ----

  /**
   * Sends an alert to every member (one upload under our sender key) and returns its id.
   * @example
   * const id = await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Agents at the car wash', place: '5th and Main', requestAck: true });
   */
  sendAlert(input: SendAlertInput): Promise<string> {
    return this.#sender.sendAlert(this.id, input);
  }

  async acknowledge(alertId: string, status: AckStatus): Promise<void> {
    await this.#sender.send(this.id, { type: 'ack', alertId, status });
  }

  async confirm(alertId: string, note?: string): Promise<void> {
    await this.#sender.send(this.id, { type: 'confirm', alertId, ...(note === undefined ? {} : { note }) });
  }

  async dispute(alertId: string, note?: string): Promise<void> {
    await this.#sender.send(this.id, { type: 'dispute', alertId, ...(note === undefined ? {} : { note }) });
  }

  /** Only the alert's sender or an admin may retract; receivers drop anyone else's. */
  async retract(alertId: string, reason: string): Promise<void> {
    await this.#sender.send(this.id, { type: 'retract', alertId, reason });
  }

  /** Only the alert's sender or an admin may call the all-clear; receivers drop anyone else's. */
  async allClear(alertId: string): Promise<void> {
    await this.#sender.send(this.id, { type: 'all-clear', alertId });
  }

  async sendText(text: string): Promise<void> {
    await this.#sender.send(this.id, { type: 'text', text });
  }

  /** Each member's latest acknowledgement of the alert, and who confirmed or disputed it (local store). */
  rollCall(alertId: string): Promise<RollCall> {
    return this.#book.rollCall(this.id, alertId);
  }

  /** Unexpired alerts in the local store; retracted ones are marked. */
  async alerts(): Promise<Alert[]> {
    return this.#book.alerts(this.id);
  }

  /**
   * Expired alerts still within the group's retention (`retentionSeconds`), oldest first: what
   * happened tonight. Each is deleted, with its responses, at its `sentAt` plus the retention.
   */
  async history(): Promise<Alert[]> {
    return this.#book.history(this.id);
  }

  #state(): GroupState {
    return this.#log.record(this.id).state;
  }

  #pseudonymOfMe(): string {
    return this.#log.keysOf(this.id).pseudonym(this.#log.accountId);
  }

  #mine() {
    return this.#state().members[this.#pseudonymOfMe()];
  }
}

function pseudonym(keys: GroupKeys, accountId: string): string {
  return keys.pseudonym(AccountId.parse(accountId));
}

/** Names are other people's text: compared as shown (neutralized), members and join requests together. */
function lookAlikes(s: GroupState): Map<string, string[]> {
  return confusableNames([...Object.values(s.members), ...Object.values(s.pending)].map((p) => ({ accountId: p.accountId, displayName: neutralizeDisplayName(p.displayName) })));
}

function issuerOf(s: GroupState, keys: GroupKeys, inviteId: string | undefined): string | undefined {
  if (inviteId === undefined) return undefined;
  const issuer = s.invites[inviteId]?.issuer;
  return issuer === undefined ? undefined : (s.members[issuer]?.accountId ?? keys.accountOf(issuer));
}
