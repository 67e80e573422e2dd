import { LIMITS } from '@aviso/protocol';
import {
  StoreConflictError,
  kyberUseKey,
  processedKey,
  processedHour,
  ORPHAN_RESPONSE_GRACE_MS,
  tombstoneOrder,
  type AccountRecord,
  type AlertRecord,
  type AlertResponse,
  type AlertTombstone,
  type SendLogEntry,
  type SenderKeyInfo,
  type AvisoStore,
  type GroupRecord,
  type IdentityRecord,
  type KyberUse,
  type LocalIdentity,
  type ProcessedMessage,
  type StoreChanges,
  type StoredKyberPreKey,
  type StoredSession,
  type StoredSignedPreKey,
  type UnprocessedEnvelope,
} from '../interfaces.js';
import type { GroupBlobs, MemberBlobs } from '../member-blobs.js';

const senderKeyKey = (sender: string, distributionId: string) => `${sender}\u0000${distributionId}`;
const pair = (a: string, b: string) => `${a}\u0000${b}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The alert a send-log row's Content names (`body.alertId`), as SQLite's json_extract reads it. */
function namedAlert(content: string): string {
  try {
    const v = JSON.parse(content) as { body?: { alertId?: unknown } };
    return typeof v.body?.alertId === 'string' ? v.body.alertId : '';
  } catch {
    return '';
  }
}

/**
 * In-memory store: tests and ephemeral clients. Commits validate every conflict before touching
 * anything, so a rejected change set leaves the store exactly as it was (same contract as SQLite).
 */
export class MemoryStore implements AvisoStore {
  #localIdentity: LocalIdentity | undefined;
  #account: AccountRecord | undefined;
  readonly #meta = new Map<string, string>();
  /** By account, then device: a group send reads every member's sessions. */
  readonly #sessions = new Map<string, Map<number, Uint8Array>>();
  readonly #identities = new Map<string, IdentityRecord>();
  readonly #preKeys = new Map<number, Uint8Array>();
  readonly #signedPreKeys = new Map<number, StoredSignedPreKey>();
  readonly #kyberPreKeys = new Map<number, StoredKyberPreKey>();
  readonly #kyberUsed = new Set<string>();
  readonly #senderKeys = new Map<string, Uint8Array>();
  readonly #processedMessages = new Map<string, number>();
  readonly #processedEnvelopes = new Map<string, number>();
  readonly #unprocessed = new Map<string, UnprocessedEnvelope>();
  readonly #groups = new Map<string, GroupRecord>();
  /** By group, then pseudonym (member-blobs.ts): apart from the state, as the SQLite store keeps them. */
  readonly #groupBlobs = new Map<string, Map<string, MemberBlobs>>();
  readonly #senderKeyInfos = new Map<string, SenderKeyInfo>();
  readonly #alerts = new Map<string, AlertRecord>();
  /** When each alert's retention counts from (the SQLite store's `sent_at` column). */
  readonly #alertKeptFrom = new Map<string, number>();
  readonly #responses = new Map<string, AlertResponse>();
  /** By group, then `alertId\0kind\0by`. */
  readonly #tombstones = new Map<string, Map<string, AlertTombstone>>();
  readonly #sendLog = new Map<string, SendLogEntry>();

  getLocalIdentity(): LocalIdentity | undefined {
    return this.#localIdentity;
  }
  getAccount(): AccountRecord | undefined {
    return this.#account;
  }
  getMeta(key: string): string | undefined {
    return this.#meta.get(key);
  }
  getSession(accountId: string, deviceId: number): Uint8Array | undefined {
    return this.#sessions.get(accountId)?.get(deviceId);
  }
  getSessionDevices(accountId: string): number[] {
    return [...(this.#sessions.get(accountId)?.keys() ?? [])].sort((a, b) => a - b);
  }
  getSessionsOf(accountIds: readonly string[]): StoredSession[] {
    const out: StoredSession[] = [];
    for (const accountId of [...new Set(accountIds)].sort()) {
      const devices = this.#sessions.get(accountId);
      if (!devices) continue;
      for (const deviceId of [...devices.keys()].sort((a, b) => a - b)) out.push({ accountId, deviceId, record: devices.get(deviceId)! });
    }
    return out;
  }
  getIdentity(accountId: string): IdentityRecord | undefined {
    return this.#identities.get(accountId);
  }
  getIdentitiesOf(accountIds: readonly string[]): Array<{ accountId: string; record: IdentityRecord }> {
    const out: Array<{ accountId: string; record: IdentityRecord }> = [];
    for (const accountId of new Set(accountIds)) {
      const record = this.#identities.get(accountId);
      if (record) out.push({ accountId, record });
    }
    return out;
  }
  getPreKey(id: number): Uint8Array | undefined {
    return this.#preKeys.get(id);
  }
  countPreKeys(): number {
    return this.#preKeys.size;
  }
  getSignedPreKey(id: number): StoredSignedPreKey | undefined {
    return this.#signedPreKeys.get(id);
  }
  listSignedPreKeys(): StoredSignedPreKey[] {
    return [...this.#signedPreKeys.values()].sort((a, b) => a.createdAt - b.createdAt);
  }
  getKyberPreKey(id: number): StoredKyberPreKey | undefined {
    return this.#kyberPreKeys.get(id);
  }
  listLastResortKyberPreKeys(): StoredKyberPreKey[] {
    return [...this.#kyberPreKeys.values()].filter((k) => k.lastResort).sort((a, b) => a.createdAt - b.createdAt);
  }
  isKyberPreKeyUsed(use: KyberUse): boolean {
    return this.#kyberUsed.has(kyberUseKey(use));
  }
  getSenderKey(sender: string, distributionId: string): Uint8Array | undefined {
    return this.#senderKeys.get(senderKeyKey(sender, distributionId));
  }
  isMessageProcessed(message: ProcessedMessage): boolean {
    return this.#processedMessages.has(processedKey(message));
  }
  isEnvelopeProcessed(guid: string): boolean {
    return this.#processedEnvelopes.has(guid);
  }
  listUnprocessed(): UnprocessedEnvelope[] {
    return [...this.#unprocessed.values()].sort((a, b) => a.receivedAt - b.receivedAt);
  }

  getSenderKeyInfo(groupId: string): SenderKeyInfo | undefined {
    const i = this.#senderKeyInfos.get(groupId);
    return i && structuredClone(i);
  }
  getAlert(groupId: string, alertId: string): AlertRecord | undefined {
    const a = this.#alerts.get(pair(groupId, alertId));
    return a && structuredClone(a);
  }
  listAlerts(groupId: string): AlertRecord[] {
    return [...this.#alerts.values()]
      .filter((a) => a.groupId === groupId)
      .sort((a, b) => a.observedAt - b.observedAt || a.id.localeCompare(b.id))
      .map((a) => structuredClone(a));
  }
  listAlertResponses(groupId: string, alertId: string): AlertResponse[] {
    return [...this.#responses.values()]
      .filter((r) => r.groupId === groupId && r.alertId === alertId)
      .sort((a, b) => a.sentAt - b.sentAt || a.accountId.localeCompare(b.accountId))
      .map((r) => ({ ...r }));
  }
  listAlertTombstones(groupId: string, alertId: string): AlertTombstone[] {
    return [...(this.#tombstones.get(groupId)?.values() ?? [])]
      .filter((t) => t.alertId === alertId)
      .sort(tombstoneOrder)
      .map((t) => ({ ...t }));
  }
  countAlertTombstones(groupId: string): number {
    return this.#tombstones.get(groupId)?.size ?? 0;
  }
  listSendLog(groupId: string, from: number, to: number): SendLogEntry[] {
    return [...this.#sendLog.values()]
      .filter((e) => e.groupId === groupId && e.sentAt >= from && e.sentAt <= to)
      .sort((a, b) => a.sentAt - b.sentAt)
      .map((e) => ({ ...e }));
  }

  getGroup(groupId: string): GroupRecord | undefined {
    const g = this.#groups.get(groupId);
    return g && structuredClone(g);
  }
  listGroups(): GroupRecord[] {
    return [...this.#groups.keys()].sort().map((id) => structuredClone(this.#groups.get(id)!));
  }
  listGroupRetention(): Array<{ groupId: string; retentionSeconds: number | undefined }> {
    return [...this.#groups.keys()].sort().map((groupId) => ({ groupId, retentionSeconds: this.#groups.get(groupId)!.state.retentionSeconds }));
  }
  getGroupBlobs(groupId: string, member?: string): GroupBlobs {
    const rows = this.#groupBlobs.get(groupId);
    if (member !== undefined) {
      const b = rows?.get(member);
      return new Map(b === undefined ? [] : [[member, { ...b }]]);
    }
    return new Map([...(rows ?? [])].map(([m, b]) => [m, { ...b }]));
  }

  commit(c: StoreChanges): void {
    // Validate first: nothing below may throw once mutation starts.
    const kyberKeys = (c.kyberUsed ?? []).map(kyberUseKey);
    if (new Set(kyberKeys).size !== kyberKeys.length || kyberKeys.some((k) => this.#kyberUsed.has(k))) {
      throw new StoreConflictError('kyber prekey use replayed');
    }
    const processed = (c.processedMessages ?? []).map(processedKey);
    if (new Set(processed).size !== processed.length || processed.some((k) => this.#processedMessages.has(k))) {
      throw new StoreConflictError('message already processed');
    }

    if (c.localIdentity) this.#localIdentity = { ...c.localIdentity };
    if (c.account) this.#account = { ...c.account };
    for (const [k, v] of Object.entries(c.meta ?? {})) this.#meta.set(k, v);
    for (const s of c.sessions ?? []) {
      const devices = this.#sessions.get(s.accountId);
      if (s.record === null) {
        devices?.delete(s.deviceId);
        if (devices?.size === 0) this.#sessions.delete(s.accountId);
      } else if (devices) devices.set(s.deviceId, s.record);
      else this.#sessions.set(s.accountId, new Map([[s.deviceId, s.record]]));
    }
    for (const i of c.identities ?? []) this.#identities.set(i.accountId, { ...i.record });
    for (const p of c.preKeys ?? []) this.#preKeys.set(p.id, p.record);
    for (const id of c.removePreKeys ?? []) this.#preKeys.delete(id);
    for (const p of c.signedPreKeys ?? []) this.#signedPreKeys.set(p.id, { ...p });
    for (const id of c.removeSignedPreKeys ?? []) this.#signedPreKeys.delete(id);
    for (const p of c.kyberPreKeys ?? []) this.#kyberPreKeys.set(p.id, { ...p });
    for (const id of c.removeKyberPreKeys ?? []) this.#kyberPreKeys.delete(id);
    for (const k of kyberKeys) this.#kyberUsed.add(k);
    for (const s of c.senderKeys ?? []) this.#senderKeys.set(senderKeyKey(s.sender, s.distributionId), s.record);
    (c.processedMessages ?? []).forEach((m, i) => this.#processedMessages.set(processed[i] as string, processedHour(m.processedAt)));
    for (const e of c.processedEnvelopes ?? []) this.#processedEnvelopes.set(e.guid, processedHour(e.processedAt));
    for (const u of c.addUnprocessed ?? []) if (!this.#unprocessed.has(u.guid)) this.#unprocessed.set(u.guid, { ...u });
    for (const guid of c.removeUnprocessed ?? []) this.#unprocessed.delete(guid);
    // Copies in and out: a caller mutating its object must not change what is stored.
    for (const g of c.groups ?? []) this.#groups.set(g.groupId, structuredClone(g));
    for (const b of c.groupBlobs ?? []) {
      let rows = this.#groupBlobs.get(b.groupId);
      if (!rows || b.reset) this.#groupBlobs.set(b.groupId, (rows = new Map()));
      for (const [m, v] of b.put) {
        if (v === null) rows.delete(m);
        else rows.set(m, { ...v });
      }
      if (rows.size === 0) this.#groupBlobs.delete(b.groupId);
    }
    for (const s of c.removeSenderKeys ?? []) this.#senderKeys.delete(senderKeyKey(s.sender, s.distributionId));
    for (const i of c.senderKeyInfos ?? []) this.#senderKeyInfos.set(i.groupId, structuredClone(i));
    for (const groupId of c.removeSenderKeyInfos ?? []) this.#senderKeyInfos.delete(groupId);
    const now = Date.now();
    for (const a of c.alerts ?? []) {
      const k = pair(a.groupId, a.id);
      this.#alerts.set(k, structuredClone(a));
      this.#alertKeptFrom.set(k, Math.min(this.#alertKeptFrom.get(k) ?? Infinity, a.sentAt, now));
    }
    for (const r of c.alertResponses ?? []) {
      const key = `${pair(r.groupId, r.alertId)}\u0000${r.accountId}\u0000${r.kind}`;
      const before = this.#responses.get(key);
      if (!before || before.sentAt < r.sentAt) this.#responses.set(key, { ...r });
    }
    for (const { groupId, alertId } of c.removeAlerts ?? []) {
      this.#alerts.delete(pair(groupId, alertId));
      this.#alertKeptFrom.delete(pair(groupId, alertId));
      for (const [k, r] of this.#responses) if (r.groupId === groupId && r.alertId === alertId) this.#responses.delete(k);
    }
    for (const t of c.alertTombstones ?? []) this.#putTombstone(t);
    for (const r of c.removeAlertTombstones ?? []) {
      const group = this.#tombstones.get(r.groupId);
      for (const [k, t] of group ?? []) if (t.alertId === r.alertId) group!.delete(k);
    }
    if (c.deleteAlertsExpiredBefore !== undefined) {
      const before = c.deleteAlertsExpiredBefore;
      for (const group of this.#tombstones.values()) for (const [k, t] of group) if (t.expiresAt < before) group.delete(k);
      const expired = new Set<string>();
      for (const [k, a] of this.#alerts) {
        if (a.expiresAt >= before) continue;
        this.#alerts.delete(k);
        this.#alertKeptFrom.delete(k);
        expired.add(k);
      }
      for (const [k, r] of this.#responses) {
        if (this.#alerts.has(pair(r.groupId, r.alertId))) continue;
        // Its alert just expired, or never came and the response is old.
        if (r.sentAt < before - ORPHAN_RESPONSE_GRACE_MS || expired.has(pair(r.groupId, r.alertId))) this.#responses.delete(k);
      }
    }
    for (const e of c.sendLog ?? []) this.#sendLog.set(pair(e.groupId, String(e.sentAt)), { ...e });
    if (c.pruneSendLogBefore !== undefined) {
      for (const [k, e] of this.#sendLog) if (e.createdAt < c.pruneSendLogBefore) this.#sendLog.delete(k);
    }
    for (const { groupId, before } of c.purgeContent ?? []) this.#purge(groupId, before);
    if (c.pruneProcessedBefore !== undefined) {
      const before = c.pruneProcessedBefore;
      for (const [k, at] of this.#processedMessages) if (at < before) this.#processedMessages.delete(k);
      for (const [k, at] of this.#processedEnvelopes) if (at < before) this.#processedEnvelopes.delete(k);
    }
  }

  close(): void {}

  oldestContent(): { groups: Array<{ groupId: string; at: number }>; sendLogCreatedAt: number | undefined } {
    const oldest = new Map<string, number>();
    const see = (groupId: string, at: number) => oldest.set(groupId, Math.min(oldest.get(groupId) ?? Infinity, at));
    for (const [k, a] of this.#alerts) see(a.groupId, this.#alertKeptFrom.get(k) ?? a.sentAt);
    for (const r of this.#responses.values()) see(r.groupId, r.sentAt);
    for (const [groupId, group] of this.#tombstones) for (const t of group.values()) see(groupId, t.at);
    let created: number | undefined;
    for (const e of this.#sendLog.values()) {
      see(e.groupId, e.sentAt);
      created = Math.min(created ?? Infinity, e.createdAt);
    }
    return { groups: [...oldest].sort((a, b) => cmp(a[0], b[0])).map(([groupId, at]) => ({ groupId, at })), sendLogCreatedAt: created };
  }

  /** StoreChanges.purgeContent for one group. */
  #purge(groupId: string, before: number): void {
    const purged = new Set<string>();
    for (const [k, a] of this.#alerts) {
      if (a.groupId !== groupId || (this.#alertKeptFrom.get(k) ?? a.sentAt) > before) continue;
      purged.add(a.id);
      this.#alerts.delete(k);
      this.#alertKeptFrom.delete(k);
    }
    for (const [k, r] of this.#responses) if (r.groupId === groupId && (r.sentAt <= before || purged.has(r.alertId))) this.#responses.delete(k);
    const tombstones = this.#tombstones.get(groupId);
    for (const [k, t] of tombstones ?? []) if (t.at <= before) tombstones!.delete(k);
    for (const [k, e] of this.#sendLog) if (e.groupId === groupId && (e.sentAt <= before || purged.has(namedAlert(e.content)))) this.#sendLog.delete(k);
  }

  /** Inserts or replaces one tombstone, then holds the group to its cap (StoreChanges.alertTombstones). */
  #putTombstone(t: AlertTombstone): void {
    let group = this.#tombstones.get(t.groupId);
    if (!group) this.#tombstones.set(t.groupId, (group = new Map()));
    group.set(`${t.alertId}\u0000${t.kind}\u0000${t.by}`, { ...t });
    if (group.size <= LIMITS.maxAlertTombstonesPerGroup) return;
    const held = new Map<string, number>();
    for (const x of group.values()) held.set(x.by, (held.get(x.by) ?? 0) + 1);
    let top = '';
    let most = 0;
    for (const [by, n] of held) if (n > most || (n === most && by < top)) [top, most] = [by, n];
    let oldest: [string, AlertTombstone] | undefined;
    for (const entry of group) if (entry[1].by === top && (!oldest || tombstoneOrder(entry[1], oldest[1]) < 0)) oldest = entry;
    if (oldest) group.delete(oldest[0]);
  }
}
