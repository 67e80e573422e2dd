import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { and, asc, eq, gte, inArray, lte, lt, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import {
  ORPHAN_RESPONSE_GRACE_MS,
  StoreConflictError,
  type AccountRecord,
  type AlertRecord,
  type AlertResponse,
  type SendLogEntry,
  type SenderKeyDevice,
  type SenderKeyInfo,
  type AvisoStore,
  type GroupRecord,
  type IdentityRecord,
  type KyberUse,
  type LocalIdentity,
  type ProcessedMessage,
  type StoreChanges,
  type StoredKyberPreKey,
  type StoredSignedPreKey,
  type UnprocessedEnvelope,
} from '../interfaces.js';
import * as t from './schema.js';

export const SQLITE_FILE_NAME = 'aviso-client.sqlite';
// Same relative path from src/ and dist/: both sit next to drizzle/ in the package root.
const MIGRATIONS = fileURLToPath(new URL('../../../drizzle', import.meta.url));

const LOCAL_IDENTITY = '__local_identity';
const ACCOUNT = '__account';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
// SQLite hands back Buffers that may share a pool; copy into a plain Uint8Array of our own.
const own = (b: Buffer) => new Uint8Array(b);
const buf = (b: Uint8Array) => Buffer.from(b);

/**
 * better-sqlite3 + drizzle store at `<dataDir>/aviso-client.sqlite` (WAL). `commit` runs one
 * synchronous transaction: a conflict anywhere rolls back everything in the change set.
 */
export class SqliteStore implements AvisoStore {
  readonly #sqlite: Database.Database;
  readonly #db: BetterSQLite3Database;

  private constructor(sqlite: Database.Database) {
    this.#sqlite = sqlite;
    this.#db = drizzle(sqlite);
  }

  static open(dataDir: string): SqliteStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const sqlite = new Database(join(dataDir, SQLITE_FILE_NAME));
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    // Deleted key material and messages are overwritten, not left in free pages.
    sqlite.pragma('secure_delete = ON');
    sqlite.pragma('foreign_keys = ON');
    const store = new SqliteStore(sqlite);
    migrate(store.#db, { migrationsFolder: MIGRATIONS });
    return store;
  }

  getLocalIdentity(): LocalIdentity | undefined {
    const raw = this.getMeta(LOCAL_IDENTITY);
    if (raw === undefined) return undefined;
    const v = JSON.parse(raw) as { identityKeyPair: string; registrationId: number };
    return { identityKeyPair: unb64(v.identityKeyPair), registrationId: v.registrationId };
  }
  getAccount(): AccountRecord | undefined {
    const raw = this.getMeta(ACCOUNT);
    if (raw === undefined) return undefined;
    const v = JSON.parse(raw) as Omit<AccountRecord, 'trustRoot'> & { trustRoot: string };
    return { ...v, trustRoot: unb64(v.trustRoot) };
  }
  getMeta(key: string): string | undefined {
    return this.#db.select().from(t.meta).where(eq(t.meta.key, key)).get()?.value;
  }
  getSession(accountId: string, deviceId: number): Uint8Array | undefined {
    const row = this.#db
      .select({ record: t.sessions.record })
      .from(t.sessions)
      .where(and(eq(t.sessions.accountId, accountId), eq(t.sessions.deviceId, deviceId)))
      .get();
    return row ? own(row.record) : undefined;
  }
  getSessionDevices(accountId: string): number[] {
    return this.#db
      .select({ deviceId: t.sessions.deviceId })
      .from(t.sessions)
      .where(eq(t.sessions.accountId, accountId))
      .orderBy(asc(t.sessions.deviceId))
      .all()
      .map((r) => r.deviceId);
  }
  getIdentity(accountId: string): IdentityRecord | undefined {
    const row = this.#db.select().from(t.identities).where(eq(t.identities.accountId, accountId)).get();
    if (!row) return undefined;
    return { publicKey: own(row.publicKey), verified: row.verified, firstSeenAt: row.firstSeenAt, changedAt: row.changedAt };
  }
  getPreKey(id: number): Uint8Array | undefined {
    const row = this.#db.select().from(t.preKeys).where(eq(t.preKeys.id, id)).get();
    return row ? own(row.record) : undefined;
  }
  countPreKeys(): number {
    return (this.#sqlite.prepare('SELECT count(*) AS n FROM pre_keys').get() as { n: number }).n;
  }
  getSignedPreKey(id: number): StoredSignedPreKey | undefined {
    const row = this.#db.select().from(t.signedPreKeys).where(eq(t.signedPreKeys.id, id)).get();
    return row ? { ...row, record: own(row.record) } : undefined;
  }
  listSignedPreKeys(): StoredSignedPreKey[] {
    return this.#db
      .select()
      .from(t.signedPreKeys)
      .orderBy(asc(t.signedPreKeys.createdAt))
      .all()
      .map((row) => ({ ...row, record: own(row.record) }));
  }
  getKyberPreKey(id: number): StoredKyberPreKey | undefined {
    const row = this.#db.select().from(t.kyberPreKeys).where(eq(t.kyberPreKeys.id, id)).get();
    return row ? { ...row, record: own(row.record) } : undefined;
  }
  listLastResortKyberPreKeys(): StoredKyberPreKey[] {
    return this.#db
      .select()
      .from(t.kyberPreKeys)
      .where(eq(t.kyberPreKeys.lastResort, true))
      .orderBy(asc(t.kyberPreKeys.createdAt))
      .all()
      .map((row) => ({ ...row, record: own(row.record) }));
  }
  isKyberPreKeyUsed(use: KyberUse): boolean {
    const u = t.kyberPreKeyUses;
    return (
      this.#db
        .select({ id: u.kyberPreKeyId })
        .from(u)
        .where(and(eq(u.kyberPreKeyId, use.kyberPreKeyId), eq(u.signedPreKeyId, use.signedPreKeyId), eq(u.baseKey, buf(use.baseKey))))
        .get() !== undefined
    );
  }
  getSenderKey(sender: string, distributionId: string): Uint8Array | undefined {
    const row = this.#db
      .select({ record: t.senderKeys.record })
      .from(t.senderKeys)
      .where(and(eq(t.senderKeys.sender, sender), eq(t.senderKeys.distributionId, distributionId)))
      .get();
    return row ? own(row.record) : undefined;
  }
  isMessageProcessed(m: ProcessedMessage): boolean {
    const p = t.processedMessages;
    return (
      this.#db
        .select({ sentAt: p.sentAt })
        .from(p)
        .where(and(eq(p.sender, m.sender), eq(p.device, m.device), eq(p.sentAt, m.sentAt)))
        .get() !== undefined
    );
  }
  isEnvelopeProcessed(guid: string): boolean {
    return this.#db.select().from(t.processedEnvelopes).where(eq(t.processedEnvelopes.guid, guid)).get() !== undefined;
  }
  listUnprocessed(): UnprocessedEnvelope[] {
    return this.#db.select().from(t.unprocessed).orderBy(asc(t.unprocessed.receivedAt)).all();
  }

  getSenderKeyInfo(groupId: string): SenderKeyInfo | undefined {
    const row = this.#db.select().from(t.groupSenderKeys).where(eq(t.groupSenderKeys.groupId, groupId)).get();
    return row ? { ...row, devices: JSON.parse(row.devices) as SenderKeyDevice[] } : undefined;
  }
  getAlert(groupId: string, alertId: string): AlertRecord | undefined {
    const row = this.#db
      .select({ record: t.alerts.record })
      .from(t.alerts)
      .where(and(eq(t.alerts.groupId, groupId), eq(t.alerts.alertId, alertId)))
      .get();
    return row ? (JSON.parse(row.record) as AlertRecord) : undefined;
  }
  listAlerts(groupId: string): AlertRecord[] {
    return this.#db
      .select({ record: t.alerts.record })
      .from(t.alerts)
      .where(eq(t.alerts.groupId, groupId))
      .orderBy(asc(t.alerts.observedAt), asc(t.alerts.alertId))
      .all()
      .map((r) => JSON.parse(r.record) as AlertRecord);
  }
  listAlertResponses(groupId: string, alertId: string): AlertResponse[] {
    const r = t.alertResponses;
    return this.#db
      .select()
      .from(r)
      .where(and(eq(r.groupId, groupId), eq(r.alertId, alertId)))
      .orderBy(asc(r.sentAt), asc(r.accountId))
      .all()
      .map((row) => ({ ...row, value: row.value as AlertResponse['value'], ...(row.note === null ? { note: undefined } : { note: row.note }) }));
  }
  listSendLog(groupId: string, from: number, to: number): SendLogEntry[] {
    const l = t.sendLog;
    return this.#db
      .select()
      .from(l)
      .where(and(eq(l.groupId, groupId), gte(l.sentAt, from), lte(l.sentAt, to)))
      .orderBy(asc(l.sentAt))
      .all();
  }

  getGroup(groupId: string): GroupRecord | undefined {
    const row = this.#db.select().from(t.groups).where(eq(t.groups.groupId, groupId)).get();
    return row ? groupOf(row) : undefined;
  }
  listGroups(): GroupRecord[] {
    return this.#db.select().from(t.groups).orderBy(asc(t.groups.groupId)).all().map(groupOf);
  }

  commit(c: StoreChanges): void {
    const db = this.#db;
    const apply = this.#sqlite.transaction(() => {
      const meta: Record<string, string> = { ...c.meta };
      if (c.localIdentity) {
        meta[LOCAL_IDENTITY] = JSON.stringify({
          identityKeyPair: b64(c.localIdentity.identityKeyPair),
          registrationId: c.localIdentity.registrationId,
        });
      }
      if (c.account) meta[ACCOUNT] = JSON.stringify({ ...c.account, trustRoot: b64(c.account.trustRoot) });
      for (const [key, value] of Object.entries(meta)) {
        db.insert(t.meta).values({ key, value }).onConflictDoUpdate({ target: t.meta.key, set: { value } }).run();
      }
      for (const s of c.sessions ?? []) {
        if (s.record === null) {
          db.delete(t.sessions).where(and(eq(t.sessions.accountId, s.accountId), eq(t.sessions.deviceId, s.deviceId))).run();
        } else {
          const record = buf(s.record);
          db.insert(t.sessions)
            .values({ accountId: s.accountId, deviceId: s.deviceId, record })
            .onConflictDoUpdate({ target: [t.sessions.accountId, t.sessions.deviceId], set: { record } })
            .run();
        }
      }
      for (const { accountId, record } of c.identities ?? []) {
        const row = { ...record, publicKey: buf(record.publicKey) };
        db.insert(t.identities).values({ accountId, ...row }).onConflictDoUpdate({ target: t.identities.accountId, set: row }).run();
      }
      for (const p of c.preKeys ?? []) {
        const record = buf(p.record);
        db.insert(t.preKeys).values({ id: p.id, record }).onConflictDoUpdate({ target: t.preKeys.id, set: { record } }).run();
      }
      if (c.removePreKeys?.length) db.delete(t.preKeys).where(inArray(t.preKeys.id, c.removePreKeys)).run();
      for (const p of c.signedPreKeys ?? []) {
        const row = { ...p, record: buf(p.record) };
        db.insert(t.signedPreKeys).values(row).onConflictDoUpdate({ target: t.signedPreKeys.id, set: row }).run();
      }
      if (c.removeSignedPreKeys?.length) db.delete(t.signedPreKeys).where(inArray(t.signedPreKeys.id, c.removeSignedPreKeys)).run();
      for (const p of c.kyberPreKeys ?? []) {
        const row = { ...p, record: buf(p.record) };
        db.insert(t.kyberPreKeys).values(row).onConflictDoUpdate({ target: t.kyberPreKeys.id, set: row }).run();
      }
      if (c.removeKyberPreKeys?.length) db.delete(t.kyberPreKeys).where(inArray(t.kyberPreKeys.id, c.removeKyberPreKeys)).run();
      // Plain inserts: the primary key turns a replayed triple into a constraint error.
      for (const u of c.kyberUsed ?? []) db.insert(t.kyberPreKeyUses).values({ ...u, baseKey: buf(u.baseKey) }).run();
      for (const s of c.senderKeys ?? []) {
        const record = buf(s.record);
        db.insert(t.senderKeys)
          .values({ sender: s.sender, distributionId: s.distributionId, record })
          .onConflictDoUpdate({ target: [t.senderKeys.sender, t.senderKeys.distributionId], set: { record } })
          .run();
      }
      for (const m of c.processedMessages ?? []) db.insert(t.processedMessages).values(m).run();
      for (const e of c.processedEnvelopes ?? []) db.insert(t.processedEnvelopes).values(e).onConflictDoNothing().run();
      for (const u of c.addUnprocessed ?? []) db.insert(t.unprocessed).values(u).onConflictDoNothing().run();
      if (c.removeUnprocessed?.length) db.delete(t.unprocessed).where(inArray(t.unprocessed.guid, c.removeUnprocessed)).run();
      for (const g of c.groups ?? []) {
        const row = {
          masterKey: buf(g.masterKey),
          status: g.status,
          version: g.state.version,
          headHash: g.state.headHash,
          state: JSON.stringify(g.state),
          invitePassword: g.invitePassword ?? null,
        };
        db.insert(t.groups).values({ groupId: g.groupId, ...row }).onConflictDoUpdate({ target: t.groups.groupId, set: row }).run();
      }
      for (const s of c.removeSenderKeys ?? []) {
        db.delete(t.senderKeys).where(and(eq(t.senderKeys.sender, s.sender), eq(t.senderKeys.distributionId, s.distributionId))).run();
      }
      for (const i of c.senderKeyInfos ?? []) {
        const row = { distributionId: i.distributionId, createdAt: i.createdAt, devices: JSON.stringify(i.devices) };
        db.insert(t.groupSenderKeys).values({ groupId: i.groupId, ...row }).onConflictDoUpdate({ target: t.groupSenderKeys.groupId, set: row }).run();
      }
      for (const a of c.alerts ?? []) {
        const row = { observedAt: a.observedAt, expiresAt: a.expiresAt, record: JSON.stringify(a) };
        db.insert(t.alerts)
          .values({ groupId: a.groupId, alertId: a.id, ...row })
          .onConflictDoUpdate({ target: [t.alerts.groupId, t.alerts.alertId], set: row })
          .run();
      }
      for (const r of c.alertResponses ?? []) {
        const set = { value: r.value, note: r.note ?? null, sentAt: r.sentAt };
        const ar = t.alertResponses;
        db.insert(ar)
          .values({ groupId: r.groupId, alertId: r.alertId, accountId: r.accountId, kind: r.kind, ...set })
          .onConflictDoUpdate({ target: [ar.groupId, ar.alertId, ar.accountId, ar.kind], set, setWhere: lt(ar.sentAt, r.sentAt) })
          .run();
      }
      if (c.deleteAlertsExpiredBefore !== undefined) {
        const before = c.deleteAlertsExpiredBefore;
        // Responses of the alerts about to go, then the alerts, then old responses to alerts never received.
        this.#sqlite
          .prepare('DELETE FROM alert_responses WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.group_id = alert_responses.group_id AND a.alert_id = alert_responses.alert_id AND a.expires_at < ?)')
          .run(before);
        db.delete(t.alerts).where(lt(t.alerts.expiresAt, before)).run();
        db.delete(t.alertResponses)
          .where(
            and(
              lt(t.alertResponses.sentAt, before - ORPHAN_RESPONSE_GRACE_MS),
              sql`NOT EXISTS (SELECT 1 FROM alerts a WHERE a.group_id = ${t.alertResponses.groupId} AND a.alert_id = ${t.alertResponses.alertId})`,
            ),
          )
          .run();
      }
      for (const e of c.sendLog ?? []) {
        const { groupId: _groupId, sentAt: _sentAt, ...row } = e;
        db.insert(t.sendLog).values(e).onConflictDoUpdate({ target: [t.sendLog.groupId, t.sendLog.sentAt], set: row }).run();
      }
      if (c.pruneSendLogBefore !== undefined) db.delete(t.sendLog).where(lt(t.sendLog.createdAt, c.pruneSendLogBefore)).run();
      if (c.pruneProcessedBefore !== undefined) {
        db.delete(t.processedMessages).where(lt(t.processedMessages.processedAt, c.pruneProcessedBefore)).run();
        db.delete(t.processedEnvelopes).where(lt(t.processedEnvelopes.processedAt, c.pruneProcessedBefore)).run();
      }
    });
    try {
      apply();
    } catch (err) {
      if (isConstraintError(err)) throw new StoreConflictError('change set conflicts with stored state', { cause: err });
      throw err;
    }
  }

  close(): void {
    if (this.#sqlite.open) this.#sqlite.close();
  }
}

function groupOf(row: typeof t.groups.$inferSelect): GroupRecord {
  return {
    groupId: row.groupId,
    masterKey: own(row.masterKey),
    status: row.status,
    state: JSON.parse(row.state) as GroupRecord['state'],
    ...(row.invitePassword === null ? {} : { invitePassword: row.invitePassword }),
  };
}

function isConstraintError(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CONSTRAINT');
}
