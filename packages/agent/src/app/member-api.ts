import type { AvisoClient } from '@aviso/client';
import { AccountId } from '@aviso/protocol';
import QRCode from 'qrcode';
import { AgentError } from '../errors.js';
import { memberJson } from '../views/groups.js';
import { activeGroups } from '../views/lookup.js';

/** 60 digits as 12 groups of 5, the way both people read them aloud. */
export function safetyGroups(digits: string): string[] {
  return digits.match(/\d{5}/g) ?? [];
}

/**
 * The QR code of a safety number as an SVG document (the CLI's `qrcode`, same pinned version). The app
 * shows it as an <img> from a data: URL, so nothing in it can run, and nothing is fetched.
 */
export function safetyQr(digits: string): Promise<string> {
  return QRCode.toString(digits, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
}

/**
 * The member screens' calls (issue 13): each member of a group with the safety number, its QR code
 * and whether this device marked the key verified; and the "mark as verified" toggle.
 */
export class MemberApi {
  constructor(private readonly client: AvisoClient) {}

  async safetyNumbers(groupId: string): Promise<unknown[]> {
    const group = this.client.isRegistered ? this.client.group(groupId) : undefined;
    if (!group || group.status !== 'member') throw new AgentError('NOT_FOUND', 'no such group');
    const me = this.client.accountId;
    const out: unknown[] = [];
    for (const m of await group.members()) {
      const you = m.accountId === me;
      const base = { ...memberJson(group.id, m, you), type: 'safety-number' };
      if (you) {
        out.push(base);
        continue;
      }
      // Fetches the member's keys the first time (a network call); one unreachable key is that row's problem only.
      const digits = await this.client.safetyNumber(m.accountId).catch(() => undefined);
      if (digits === undefined) {
        out.push({ ...base, safetyNumber: undefined, verified: false });
        continue;
      }
      out.push({ ...base, safetyNumber: digits, groups: safetyGroups(digits), qrSvg: await safetyQr(digits), verified: this.client.isVerified(m.accountId) });
    }
    return out;
  }

  /** `{verified: boolean}` for a member of one of our groups (nobody else: no key lookups for strangers). */
  async setVerified(accountId: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (typeof body['verified'] !== 'boolean') throw new AgentError('BAD_REQUEST', 'verified must be true or false', 2);
    const id = AccountId.safeParse(accountId);
    if (!id.success || !this.client.isRegistered || id.data === this.client.accountId) throw new AgentError('NOT_FOUND', 'no such member');
    let known = false;
    for (const g of await activeGroups(this.client)) if (g.status === 'member' && (await g.members()).some((m) => m.accountId === id.data)) known = true;
    if (!known) throw new AgentError('NOT_FOUND', 'no such member');
    await this.client.safetyNumber(id.data); // makes sure the key is here to mark
    this.client.setVerified(id.data, body['verified']);
    return { type: 'verified', accountId: id.data, verified: this.client.isVerified(id.data) };
  }
}
