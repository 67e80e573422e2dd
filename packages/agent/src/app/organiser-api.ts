import { normalizeDisplayName, parseInviteCode, type AvisoClient, type Group } from '@aviso/client';
import { ALERT_LIMITS, type Role } from '@aviso/protocol';
import { AgentError } from '../errors.js';
import { readSettings, type Profile } from '../profile.js';
import { CONTACT_MAX_CHARS, composeDescription, parseDescription } from '../views/contacts.js';
import { groupJson, groupPeople, memberJson } from '../views/groups.js';
import { activeGroups, allAlerts } from '../views/lookup.js';
import { inviteStateJson, newInviteJson, requestJson, rollCallJson } from '../views/organiser.js';
import { bad, oneOf, text, type Body } from './api.js';
import { qrDataUrl } from './qr.js';

/** Limits of the organiser calls (docs/app.md "The local API"); the CLI's where it has one. */
export const ORGANISER_LIMITS = {
  titleChars: 100,
  aboutChars: 1000,
  /** The whole description with its contact lines: the sealed title + description must fit 4 KiB. */
  descriptionBytes: 3000,
  contactChars: CONTACT_MAX_CHARS,
  displayNameChars: 64,
  inviteMaxUses: 1000,
  inviteMinSeconds: 60,
  inviteMaxSeconds: 30 * 86400,
  reasonChars: ALERT_LIMITS.noteChars,
} as const;

const ROLES: readonly Role[] = ['admin', 'member'];

function whole(body: Body, field: string, min: number, max: number, fallback: number): number {
  const v = body[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(field, `must be a whole number from ${min} to ${max}`);
  return v;
}

function yesNo(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw bad(field, 'must be true or false');
  return v;
}

/** Free text that may be empty (an about text or a contact being cleared). */
function optionalText(body: Body, field: string, max: number): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(field, 'must be text');
  if ([...v].length > max) throw bad(field, `is longer than ${max} characters`);
  return v;
}

/**
 * What an organiser does in the app: the SDK calls `aviso group create`, `invite`, `requests`,
 * `approve`, `deny`, `remove`, `retract` and `all-clear` make, answered with the same views. Admin
 * rights are checked here for a clear FORBIDDEN; the group log's verifiers enforce them regardless.
 */
export class OrganiserApi {
  constructor(
    private readonly client: AvisoClient,
    private readonly profile: Profile,
    /** Called after a group is created: the feed must watch it. */
    private readonly changed: () => Promise<void>,
  ) {}

  async createGroup(body: Body): Promise<Record<string, unknown>> {
    if (!this.client.isRegistered) throw new AgentError('NOT_REGISTERED', 'register with a relay first');
    const title = text(body, 'title', ORGANISER_LIMITS.titleChars)!.normalize('NFC').trim(); // one form of each accent, as names
    const name = text(body, 'displayName', ORGANISER_LIMITS.displayNameChars, true) ?? readSettings(this.client).displayName;
    const about = optionalText(body, 'about', ORGANISER_LIMITS.aboutChars);
    const announcementsOnly = yesNo(body, 'announcementsOnly');
    const group = await this.client.createGroup({
      title,
      ...(name ? { displayName: normalizeDisplayName(name) } : {}),
      ...(about?.trim() ? { description: about.trim() } : {}),
      ...(announcementsOnly ? { announcementsOnly: true } : {}),
    });
    await this.changed();
    return groupJson(group);
  }

  /** One group as its screens show it; requests and invites only to its admins. */
  async group(groupId: string): Promise<Record<string, unknown>> {
    const group = this.#group(groupId);
    const admin = group.role === 'admin';
    const me = this.client.accountId;
    const members = (await group.members()).map((m) => memberJson(group.id, m, m.accountId === me));
    const { about, hotline, legal } = parseDescription(group.description);
    const now = Date.now();
    return {
      ...(await groupJson(group)),
      type: 'group-detail',
      about,
      hotline,
      legal,
      announcementsOnly: group.announcementsOnly,
      membersCanInvite: group.membersCanInvite,
      members,
      requests: admin ? (await group.pendingMembers()).map((p) => requestJson(group.id, p)) : [],
      invites: admin ? (await group.invites()).map((i) => inviteStateJson(group.id, i, now)).sort((a, b) => Number(b['expiresAt']) - Number(a['expiresAt'])) : [],
    };
  }

  /** Every group's hotline and legal contact, for the rights cards. */
  async contacts(): Promise<unknown[]> {
    if (!this.client.isRegistered) return [];
    const groups = (await activeGroups(this.client)).filter((g) => g.status === 'member');
    // Fresh when the relay answers; otherwise the last verified description (the cards work offline).
    await Promise.all(groups.map((g) => g.sync().catch(() => undefined)));
    return groups
      .map((g) => {
        const { hotline, legal } = parseDescription(g.description);
        return { type: 'contacts', groupId: g.id, group: g.title, hotline, legal };
      })
      .filter((c) => c.hotline !== undefined || c.legal !== undefined);
  }

  /** A new invite: its code (the secret the organiser shares) and that code as a QR image. */
  async createInvite(groupId: string, body: Body): Promise<Record<string, unknown>> {
    const group = this.#group(groupId);
    if (group.role !== 'admin' && !group.membersCanInvite) throw new AgentError('FORBIDDEN', 'only an organiser of this group can invite');
    const uses = whole(body, 'maxUses', 1, ORGANISER_LIMITS.inviteMaxUses, 1);
    const seconds = whole(body, 'expiresInSeconds', ORGANISER_LIMITS.inviteMinSeconds, ORGANISER_LIMITS.inviteMaxSeconds, 7 * 86400);
    const approval = yesNo(body, 'requireApproval') ?? false;
    const role = oneOf(body, 'role', ROLES, 'member');
    if (role === 'admin' && group.role !== 'admin') throw new AgentError('FORBIDDEN', 'only an organiser can invite organisers');
    const code = await group.createInvite({ maxUses: uses, expiresInSeconds: seconds, requireApproval: approval, role });
    // The SDK rounds expiries; report the one the group recorded (as `aviso invite` does).
    const { inviteId } = parseInviteCode(code);
    const expiresAt = (await group.invites()).find((i) => i.inviteId === inviteId)?.expiresAt ?? Date.now() + seconds * 1000;
    return { ...newInviteJson(group, code, uses, expiresAt, approval), inviteId, role, qr: await qrDataUrl(code) };
  }

  async revokeInvite(groupId: string, body: Body): Promise<Record<string, unknown>> {
    const group = this.#admin(groupId);
    const inviteId = text(body, 'inviteId', 64)!;
    const removeMembers = yesNo(body, 'removeMembers') ?? false;
    if (!(await group.invites()).some((i) => i.inviteId === inviteId)) throw new AgentError('NOT_FOUND', 'no such invite in this group');
    await group.revokeInvite(inviteId, { removeMembers });
    return { type: 'invite-revoked', groupId: group.id, inviteId, removeMembers };
  }

  async decide(groupId: string, decision: 'approve' | 'deny', body: Body): Promise<Record<string, unknown>> {
    const group = this.#admin(groupId);
    const accountId = text(body, 'accountId', 64)!;
    const person = (await group.pendingMembers()).find((p) => p.accountId === accountId);
    if (!person) throw new AgentError('NOT_FOUND', 'nobody with that id is waiting to join');
    if (decision === 'approve') await group.approve(accountId);
    else await group.deny(accountId, { ban: yesNo(body, 'ban') ?? false });
    return { type: decision === 'approve' ? 'approved' : 'denied', groupId: group.id, accountId, displayName: person.displayName };
  }

  async remove(groupId: string, body: Body): Promise<Record<string, unknown>> {
    const group = this.#admin(groupId);
    const member = await this.#member(group, text(body, 'accountId', 64)!);
    const ban = yesNo(body, 'ban') ?? false;
    await group.remove(member.accountId, { ban });
    return { type: 'removed', groupId: group.id, accountId: member.accountId, displayName: member.displayName, banned: ban };
  }

  async setRole(groupId: string, body: Body): Promise<Record<string, unknown>> {
    const group = this.#admin(groupId);
    const member = await this.#member(group, text(body, 'accountId', 64)!);
    const role = oneOf(body, 'role', ROLES);
    if (member.role !== role) await group.setRole(member.accountId, role);
    return { type: 'role-set', groupId: group.id, accountId: member.accountId, role };
  }

  /** Title, about text, hotline, legal contact and the two switches; only what changed is written. */
  async settings(groupId: string, body: Body): Promise<Record<string, unknown>> {
    const group = this.#admin(groupId);
    const title = optionalText(body, 'title', ORGANISER_LIMITS.titleChars)?.normalize('NFC').trim();
    if (title === '') throw bad('title', 'is required');
    const about = optionalText(body, 'about', ORGANISER_LIMITS.aboutChars);
    const hotline = optionalText(body, 'hotline', ORGANISER_LIMITS.contactChars);
    const legal = optionalText(body, 'legal', ORGANISER_LIMITS.contactChars);
    const announcementsOnly = yesNo(body, 'announcementsOnly');
    const membersCanInvite = yesNo(body, 'membersCanInvite');
    const now = parseDescription(group.description);
    const description = composeDescription(about ?? now.about, { hotline: hotline ?? now.hotline, legal: legal ?? now.legal });
    if (Buffer.byteLength(description, 'utf8') > ORGANISER_LIMITS.descriptionBytes) throw bad('about', `with the contacts is larger than ${ORGANISER_LIMITS.descriptionBytes} bytes`);
    if (title !== undefined && title !== group.title) await group.setTitle(title);
    if (description !== group.description) await group.setDescription(description);
    if (announcementsOnly !== undefined && announcementsOnly !== group.announcementsOnly) await group.setAnnouncementsOnly(announcementsOnly);
    if (membersCanInvite !== undefined && membersCanInvite !== group.membersCanInvite) await group.setMembersCanInvite(membersCanInvite);
    return { type: 'group-updated', groupId: group.id };
  }

  async rollCall(alertId: string): Promise<Record<string, unknown>> {
    const { group } = await this.#alert(alertId);
    return rollCallJson(group.id, alertId, await group.rollCall(alertId), await groupPeople(group));
  }

  async retract(alertId: string, body: Body): Promise<Record<string, unknown>> {
    const reason = optionalText(body, 'reason', ORGANISER_LIMITS.reasonChars) ?? '';
    const { group } = await this.#alert(alertId, true);
    await group.retract(alertId, reason);
    return { type: 'retracted', alertId, groupId: group.id, reason };
  }

  async allClear(alertId: string): Promise<Record<string, unknown>> {
    const { group } = await this.#alert(alertId, true);
    await group.allClear(alertId);
    return { type: 'all-cleared', alertId, groupId: group.id };
  }

  #group(id: string): Group {
    const group = this.client.isRegistered ? this.client.group(id) : undefined;
    if (!group || group.status !== 'member') throw new AgentError('NOT_FOUND', 'no such group');
    return group;
  }

  #admin(id: string): Group {
    const group = this.#group(id);
    if (group.role !== 'admin') throw new AgentError('FORBIDDEN', 'only an organiser of this group can do this');
    return group;
  }

  async #member(group: Group, accountId: string) {
    if (accountId === this.client.accountId) throw bad('accountId', 'is you: leave the group instead');
    const member = (await group.members()).find((m) => m.accountId === accountId);
    if (!member) throw new AgentError('NOT_FOUND', 'no such member in this group');
    return member;
  }

  /** The current alert and its group; `manage`: only its sender or an admin may (retract, all-clear). */
  async #alert(alertId: string, manage = false) {
    const found = (await allAlerts(this.client)).find((f) => f.alert.id === alertId);
    if (!found) throw new AgentError('NOT_FOUND', 'no such current alert');
    if (manage && found.group.role !== 'admin' && found.alert.from !== this.client.accountId) throw new AgentError('FORBIDDEN', 'only its sender or an organiser can do this');
    return found;
  }
}
