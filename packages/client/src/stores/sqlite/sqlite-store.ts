import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, asc, eq, gte, inArray, lte, lt, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { LIMITS } from '@aviso/protocol';
import { StoreCorruptError } from '../../errors.js';
import { ensurePrivateFile, makePrivateDir, tightenIfPresent } from '../private-files.js';
import { Database, applyKey, asStoreCorrupt, type SqliteDatabase } from './cipher-db.js';
import {
  ORPHAN_RESPONSE_GRACE_MS,
  processedHour,
  StoreConflictError,
  type AccountRecord,
  type AlertRecord,
  type AlertResponse,
  type AlertTombstone,
  type SendLogEntry,
  type SenderKeyDevice,
  type SenderKeyInfo,
  type AvisoStore,
  type CommitOptions,
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
import type { GroupBlobs } from '../member-blobs.js';
import * as t from './schema.js';

export const SQLITE_FILE_NAME = 'aviso-client.sqlite';
// Same relative path from src/ and dist/: both sit next to drizzle/ in the package root.
const MIGRATIONS = fileURLToPath(new URL('../../../drizzle', import.meta.url));

const LOCAL_IDENTITY = '__local_identity';
const DEDUPE_KEY = '__dedupe_key';
const ACCOUNT = '__account';
/** The row `sync()` rewrites (a random value: it records no time and no count). */
const SYNC_MARK = '__sync';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
// SQLite hands back Buffers that may share a pool; copy into a plain Uint8Array of our own.
const own = (b: Buffer) => new Uint8Array(b);
const buf = (b: Uint8Array) => Buffer.from(b);

/**
 * The statements on the message paths (every send and receive reads sessions, identities, sender
 * keys and dedupe rows), prepared once: building and preparing a drizzle query per call cost more
 * than the cryptography in a 1,000-member group send.
 */
function prepareHot(db: SqliteDatabase) {
  const p = (source: string) => db.prepare(source);
  return {
    getMeta: p('SELECT value FROM meta WHERE key = ?').pluck(),
    putMeta: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    getSession: p('SELECT record FROM sessions WHERE account_id = ? AND device_id = ?').pluck(),
    getSessionDevices: p('SELECT device_id FROM sessions WHERE account_id = ? ORDER BY device_id').pluck(),
    // One JSON array parameter: any number of accounts through one prepared statement.
    getSessionsOf: p(
      'SELECT account_id AS accountId, device_id AS deviceId, record FROM sessions WHERE account_id IN (SELECT DISTINCT value FROM json_each(?)) ORDER BY account_id, device_id',
    ),
    putSession: p('INSERT INTO sessions (account_id, device_id, record) VALUES (?, ?, ?) ON CONFLICT (account_id, device_id) DO UPDATE SET record = excluded.record'),
    deleteSession: p('DELETE FROM sessions WHERE account_id = ? AND device_id = ?'),
    getIdentitiesOf: p(
      'SELECT account_id AS accountId, public_key AS publicKey, verified, first_seen_at AS firstSeenAt, changed_at AS changedAt FROM identities WHERE account_id IN (SELECT DISTINCT value FROM json_each(?))',
    ),
    getIdentity: p('SELECT public_key AS publicKey, verified, first_seen_at AS firstSeenAt, changed_at AS changedAt FROM identities WHERE account_id = ?'),
    putIdentity: p(
      'INSERT INTO identities (account_id, public_key, verified, first_seen_at, changed_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET public_key = excluded.public_key, verified = excluded.verified, first_seen_at = excluded.first_seen_at, changed_at = excluded.changed_at',
    ),
    getPreKey: p('SELECT record FROM pre_keys WHERE id = ?').pluck(),
    countPreKeys: p('SELECT count(*) FROM pre_keys').pluck(),
    getSignedPreKey: p('SELECT id, record, created_at AS createdAt FROM signed_pre_keys WHERE id = ?'),
    getKyberPreKey: p('SELECT id, record, last_resort AS lastResort, created_at AS createdAt FROM kyber_pre_keys WHERE id = ?'),
    isKyberUsed: p('SELECT 1 FROM kyber_pre_key_uses WHERE kyber_pre_key_id = ? AND signed_pre_key_id = ? AND base_key = ?').pluck(),
    getSenderKey: p('SELECT record FROM sender_keys WHERE sender = ? AND distribution_id = ?').pluck(),
    putSenderKey: p(
      'INSERT INTO sender_keys (sender, distribution_id, record) VALUES (?, ?, ?) ON CONFLICT (sender, distribution_id) DO UPDATE SET record = excluded.record',
    ),
    isMessageProcessed: p('SELECT 1 FROM processed_message_keys WHERE key = ?').pluck(),
    addProcessedMessage: p('INSERT INTO processed_message_keys (key, processed_hour) VALUES (?, ?)'),
    isEnvelopeProcessed: p('SELECT 1 FROM processed_envelopes WHERE guid = ?').pluck(),
    addProcessedEnvelope: p('INSERT INTO processed_envelopes (guid, processed_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    addUnprocessed: p('INSERT INTO unprocessed (guid, server_timestamp, content, received_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    removeUnprocessed: p('DELETE FROM unprocessed WHERE guid = ?'),
    getSenderKeyInfo: p('SELECT group_id AS groupId, distribution_id AS distributionId, created_at AS createdAt, devices FROM group_sender_keys WHERE group_id = ?'),
    putSenderKeyInfo: p(
      'INSERT INTO group_sender_keys (group_id, distribution_id, created_at, devices) VALUES (?, ?, ?, ?) ON CONFLICT (group_id) DO UPDATE SET distribution_id = excluded.distribution_id, created_at = excluded.created_at, devices = excluded.devices',
    ),
    getGroupBlobs: p('SELECT member, profile, proof FROM group_member_blobs WHERE group_id = ?'),
    getMemberBlobs: p('SELECT member, profile, proof FROM group_member_blobs WHERE group_id = ? AND member = ?'),
    putGroupBlobs: p(
      'INSERT INTO group_member_blobs (group_id, member, profile, proof) VALUES (?, ?, ?, ?) ON CONFLICT (group_id, member) DO UPDATE SET profile = excluded.profile, proof = excluded.proof',
    ),
    deleteGroupBlobs: p('DELETE FROM group_member_blobs WHERE group_id = ? AND member = ?'),
    resetGroupBlobs: p('DELETE FROM group_member_blobs WHERE group_id = ?'),
    getGroup: p('SELECT group_id AS groupId, master_key AS masterKey, status, state, invite_password AS invitePassword FROM groups WHERE group_id = ?'),
    // SQLite's JSON reader finds the one field several times faster than JSON.parse builds the whole state.
    listGroupRetention: p("SELECT group_id AS groupId, json_extract(state, '$.retentionSeconds') AS retentionSeconds FROM groups ORDER BY group_id"),
    getAlert: p('SELECT record FROM alerts WHERE group_id = ? AND alert_id = ?').pluck(),
    // sent_at only moves earlier: a retraction rewriting the record does not extend its retention.
    putAlert: p(
      'INSERT INTO alerts (group_id, alert_id, observed_at, expires_at, record, sent_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, alert_id) DO UPDATE SET observed_at = excluded.observed_at, expires_at = excluded.expires_at, record = excluded.record, sent_at = min(alerts.sent_at, excluded.sent_at)',
    ),
    // The retention purge of one group (StoreChanges.purgeContent): what names a purged alert first, then the alerts.
    purgeSendLog: p(
      "DELETE FROM send_log WHERE group_id = @group AND (sent_at <= @before OR json_extract(content, '$.body.alertId') IN (SELECT alert_id FROM alerts WHERE group_id = @group AND sent_at <= @before))",
    ),
    purgeResponses: p(
      'DELETE FROM alert_responses WHERE group_id = @group AND (sent_at <= @before OR alert_id IN (SELECT alert_id FROM alerts WHERE group_id = @group AND sent_at <= @before))',
    ),
    purgeTombstones: p('DELETE FROM alert_tombstones WHERE group_id = @group AND at <= @before'),
    purgeAlerts: p('DELETE FROM alerts WHERE group_id = @group AND sent_at <= @before'),
    oldestContent: p(
      `SELECT group_id AS groupId, min(t) AS at FROM (
         SELECT group_id, min(sent_at) AS t FROM alerts GROUP BY group_id
         UNION ALL SELECT group_id, min(sent_at) FROM alert_responses GROUP BY group_id
         UNION ALL SELECT group_id, min(at) FROM alert_tombstones GROUP BY group_id
         UNION ALL SELECT group_id, min(sent_at) FROM send_log GROUP BY group_id
       ) GROUP BY group_id ORDER BY group_id`,
    ),
    oldestSendLog: p('SELECT min(created_at) FROM send_log').pluck(),
    // A response replaces the stored one of the same member and kind only if it is newer.
    putAlertResponse: p(
      'INSERT INTO alert_responses (group_id, alert_id, account_id, kind, value, note, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, alert_id, account_id, kind) DO UPDATE SET value = excluded.value, note = excluded.note, sent_at = excluded.sent_at WHERE alert_responses.sent_at < excluded.sent_at',
    ),
    putTombstone: p(
      'INSERT INTO alert_tombstones (group_id, alert_id, kind, by_account, by_device, reason, at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, alert_id, kind, by_account) DO UPDATE SET by_device = excluded.by_device, reason = excluded.reason, at = excluded.at, expires_at = excluded.expires_at',
    ),
    countTombstones: p('SELECT count(*) FROM alert_tombstones WHERE group_id = ?').pluck(),
    // The cap: the oldest tombstone of the member holding the most in the group (StoreChanges.alertTombstones).
    evictTombstone: p(
      `DELETE FROM alert_tombstones WHERE rowid = (
         SELECT rowid FROM alert_tombstones WHERE group_id = @group AND by_account = (
           SELECT by_account FROM alert_tombstones WHERE group_id = @group GROUP BY by_account ORDER BY count(*) DESC, by_account LIMIT 1
         ) ORDER BY at, alert_id, kind LIMIT 1
       )`,
    ),
    listTombstones: p(
      'SELECT group_id AS groupId, alert_id AS alertId, kind, by_account AS "by", by_device AS byDevice, reason, at, expires_at AS expiresAt FROM alert_tombstones WHERE group_id = ? AND alert_id = ? ORDER BY at, alert_id, kind, by_account',
    ),
    removeTombstones: p('DELETE FROM alert_tombstones WHERE group_id = ? AND alert_id = ?'),
    pruneTombstones: p('DELETE FROM alert_tombstones WHERE expires_at < ?'),
    putSendLog: p(
      'INSERT INTO send_log (group_id, sent_at, distribution_id, content, created_at, resends, recipients) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, sent_at) DO UPDATE SET distribution_id = excluded.distribution_id, content = excluded.content, created_at = excluded.created_at, resends = excluded.resends, recipients = excluded.recipients',
    ),
    pruneSendLog: p('DELETE FROM send_log WHERE created_at < ?'),
    pruneProcessedMessages: p('DELETE FROM processed_message_keys WHERE processed_hour < ?'),
    pruneProcessedEnvelopes: p('DELETE FROM processed_envelopes WHERE processed_at < ?'),
    // Changes when ANOTHER connection commits (never for our own): the read caches' validity check.
    dataVersion: p('PRAGMA data_version').pluck(),
    // The open transaction deferred commits share (SqliteStore.commit): each commit is a savepoint in it.
    beginDeferred: p('BEGIN IMMEDIATE'),
    commitDeferred: p('COMMIT'),
    rollbackDeferred: p('ROLLBACK'),
  };
}

/**
 * better-sqlite3-multiple-ciphers + drizzle store at `<dataDir>/aviso-client.sqlite` (WAL). `commit` runs one
 * synchronous transaction: a conflict anywhere rolls back everything in the change set.
 */
export class SqliteStore implements AvisoStore {
  readonly #sqlite: SqliteDatabase;
  readonly #db: BetterSQLite3Database;
  readonly #q: ReturnType<typeof prepareHot>;
  /**
   * Read-through caches of sessions (per account, all its devices) and identities, written through
   * after each successful commit. A 1,000-member group send reads every recipient's session and
   * identity; reading them back from SQLite each time cost a third of the send in copies and GC.
   * Another process committing to the same file (PRAGMA data_version moves) empties them.
   */
  readonly #sessions = new Map<string, Map<number, Uint8Array>>();
  readonly #identities = new Map<string, IdentityRecord | null>();
  #dataVersion: unknown;
  /** The HMAC key of the dedupe rows: random per store, kept in meta (encrypted with the store, if it is). */
  readonly #dedupeSecret: Buffer;
  /** The last dedupe key computed: an envelope asks `isMessageProcessed`, then commits the same row. */
  #lastDedupe: { id: string; key: string } | undefined;
  /**
   * Deferred commits go into one SQLite transaction, opened by the first of them and committed by
   * `sync()` or by the next commit without `deferSync` (docs/sdk.md "Offline drain"): a run of 50
   * envelopes writes its pages to the write-ahead log once, not 50 times. True while it is open.
   */
  #deferred = false;
  /**
   * SQLite rolled the open deferred transaction back by itself (a full disk, an I/O error): the
   * deferred commits before it are gone, so the next `sync()` throws instead of vouching for them.
   */
  #deferredLost = false;

  /** `sqlite` must be migrated already: the hot statements are prepared against its tables. */
  private constructor(sqlite: SqliteDatabase, db: BetterSQLite3Database) {
    this.#sqlite = sqlite;
    this.#db = db;
    this.#q = prepareHot(sqlite);
    let secret = this.#q.getMeta.get(DEDUPE_KEY) as string | undefined;
    if (secret === undefined) {
      secret = randomBytes(32).toString('base64');
      this.#q.putMeta.run(DEDUPE_KEY, secret);
    }
    this.#dedupeSecret = Buffer.from(secret, 'base64');
    this.#dataVersion = this.#q.dataVersion.get();
  }

  /** A dedupe row's key: an HMAC of the message's identity, so the row names no sender and no send time. */
  #dedupeKey(m: ProcessedMessage): string {
    const id = `${m.sender}\u0000${m.device}\u0000${m.sentAt}`;
    if (this.#lastDedupe?.id === id) return this.#lastDedupe.key;
    const key = createHmac('sha256', this.#dedupeSecret).update(id).digest().subarray(0, 16).toString('base64');
    this.#lastDedupe = { id, key };
    return key;
  }

  /** Empties the read caches if another connection has committed since we last looked. */
  #fresh(): void {
    const version = this.#q.dataVersion.get();
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    this.#sessions.clear();
    this.#identities.clear();
  }

  /** The cached sessions of `accountIds` (all of them), loading the missing accounts in one query. */
  #sessionsOf(accountIds: readonly string[]): Map<string, Map<number, Uint8Array>> {
    this.#fresh();
    const missing = [...new Set(accountIds.filter((a) => !this.#sessions.has(a)))];
    if (missing.length > 0) {
      for (const a of missing) this.#sessions.set(a, new Map());
      const rows = this.#q.getSessionsOf.all(JSON.stringify(missing)) as Array<{ accountId: string; deviceId: number; record: Buffer }>;
      for (const r of rows) this.#sessions.get(r.accountId)?.set(r.deviceId, own(r.record));
    }
    return this.#sessions;
  }

  /**
   * Opens (creating if needed) the store in `dataDir`. With `key` (the database key from
   * unlockStore, or any 32 bytes for a store that is new) the file is SQLCipher-encrypted; without
   * it the store is plain. Files are 0600 and the folder 0700. A file that is not a database, or
   * not one this key opens, or that is truncated or corrupted, throws StoreCorruptError.
   */
  static open(dataDir: string, opts: { key?: Uint8Array } = {}): SqliteStore {
    makePrivateDir(dataDir);
    return SqliteStore.openFile(join(dataDir, SQLITE_FILE_NAME), opts);
  }

  /** open() on a database file of another name (a duress unlock builds its empty store aside: duress.ts). */
  static openFile(path: string, opts: { key?: Uint8Array } = {}): SqliteStore {
    ensurePrivateFile(path);
    for (const suffix of ['-wal', '-shm', '-journal']) tightenIfPresent(path + suffix);
    const sqlite = new Database(path);
    try {
      if (opts.key) applyKey(sqlite, opts.key);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = FULL');
      // Deleted key material and messages are overwritten, not left in free pages.
      sqlite.pragma('secure_delete = ON');
      sqlite.pragma('foreign_keys = ON');
      // Every page read once at open: a truncated or damaged file fails here, typed, rather than mid-send.
      const check = sqlite.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') throw new StoreCorruptError(path, `the database fails its integrity check (${check})`);
      const db = drizzle(sqlite);
      migrate(db, { migrationsFolder: MIGRATIONS });
      return new SqliteStore(sqlite, db);
    } catch (err) {
      sqlite.close();
      throw asStoreCorrupt(err, path, opts.key ? 'it is not a database this key opens, or it is damaged' : 'it is not a plain SQLite database (encrypted, truncated or corrupted)');
    }
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
    return this.#q.getMeta.get(key) as string | undefined;
  }
  getSession(accountId: string, deviceId: number): Uint8Array | undefined {
    return this.#sessionsOf([accountId]).get(accountId)?.get(deviceId);
  }
  getSessionDevices(accountId: string): number[] {
    return [...(this.#sessionsOf([accountId]).get(accountId)?.keys() ?? [])].sort((a, b) => a - b);
  }
  getSessionsOf(accountIds: readonly string[]): StoredSession[] {
    if (accountIds.length === 0) return [];
    const cached = this.#sessionsOf(accountIds);
    const out: StoredSession[] = [];
    for (const accountId of [...new Set(accountIds)].sort()) {
      const devices = cached.get(accountId);
      if (devices === undefined) continue;
      for (const deviceId of [...devices.keys()].sort((a, b) => a - b)) out.push({ accountId, deviceId, record: devices.get(deviceId)! });
    }
    return out;
  }
  getIdentity(accountId: string): IdentityRecord | undefined {
    this.#fresh();
    const cached = this.#identities.get(accountId);
    if (cached !== undefined) return cached ?? undefined;
    const row = this.#q.getIdentity.get(accountId) as (Omit<IdentityRecord, 'publicKey'> & { publicKey: Buffer }) | undefined;
    const record = row ? { publicKey: own(row.publicKey), verified: row.verified, firstSeenAt: row.firstSeenAt, changedAt: row.changedAt } : undefined;
    this.#identities.set(accountId, record ?? null);
    return record;
  }
  getIdentitiesOf(accountIds: readonly string[]): Array<{ accountId: string; record: IdentityRecord }> {
    if (accountIds.length === 0) return [];
    this.#fresh();
    const missing = [...new Set(accountIds.filter((a) => !this.#identities.has(a)))];
    if (missing.length > 0) {
      for (const a of missing) this.#identities.set(a, null);
      const rows = this.#q.getIdentitiesOf.all(JSON.stringify(missing)) as Array<Omit<IdentityRecord, 'publicKey'> & { accountId: string; publicKey: Buffer }>;
      for (const r of rows) this.#identities.set(r.accountId, { publicKey: own(r.publicKey), verified: r.verified, firstSeenAt: r.firstSeenAt, changedAt: r.changedAt });
    }
    const out: Array<{ accountId: string; record: IdentityRecord }> = [];
    for (const accountId of new Set(accountIds)) {
      const record = this.#identities.get(accountId);
      if (record) out.push({ accountId, record });
    }
    return out;
  }

  getPreKey(id: number): Uint8Array | undefined {
    const record = this.#q.getPreKey.get(id) as Buffer | undefined;
    return record ? own(record) : undefined;
  }
  countPreKeys(): number {
    return this.#q.countPreKeys.get() as number;
  }
  getSignedPreKey(id: number): StoredSignedPreKey | undefined {
    const row = this.#q.getSignedPreKey.get(id) as (Omit<StoredSignedPreKey, 'record'> & { record: Buffer }) | undefined;
    return row ? { id: row.id, record: own(row.record), createdAt: row.createdAt } : undefined;
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
    const row = this.#q.getKyberPreKey.get(id) as { id: number; record: Buffer; lastResort: number; createdAt: number } | undefined;
    return row ? { id: row.id, record: own(row.record), lastResort: row.lastResort !== 0, createdAt: row.createdAt } : undefined;
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
    return this.#q.isKyberUsed.get(use.kyberPreKeyId, use.signedPreKeyId, buf(use.baseKey)) !== undefined;
  }
  getSenderKey(sender: string, distributionId: string): Uint8Array | undefined {
    const record = this.#q.getSenderKey.get(sender, distributionId) as Buffer | undefined;
    return record ? own(record) : undefined;
  }
  isMessageProcessed(m: ProcessedMessage): boolean {
    return this.#q.isMessageProcessed.get(this.#dedupeKey(m)) !== undefined;
  }
  isEnvelopeProcessed(guid: string): boolean {
    return this.#q.isEnvelopeProcessed.get(guid) !== undefined;
  }
  listUnprocessed(): UnprocessedEnvelope[] {
    return this.#db.select().from(t.unprocessed).orderBy(asc(t.unprocessed.receivedAt)).all();
  }

  getSenderKeyInfo(groupId: string): SenderKeyInfo | undefined {
    const row = this.#q.getSenderKeyInfo.get(groupId) as (Omit<SenderKeyInfo, 'devices'> & { devices: string }) | undefined;
    return row ? { ...row, devices: JSON.parse(row.devices) as SenderKeyDevice[] } : undefined;
  }
  getAlert(groupId: string, alertId: string): AlertRecord | undefined {
    const record = this.#q.getAlert.get(groupId, alertId) as string | undefined;
    return record === undefined ? undefined : (JSON.parse(record) as AlertRecord);
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
  listAlertTombstones(groupId: string, alertId: string): AlertTombstone[] {
    return (this.#q.listTombstones.all(groupId, alertId) as Array<AlertTombstone & { reason: string | null }>).map((t) => ({ ...t, reason: t.reason ?? undefined }));
  }
  countAlertTombstones(groupId: string): number {
    return this.#q.countTombstones.get(groupId) as number;
  }
  listSendLog(groupId: string, from: number, to: number): SendLogEntry[] {
    const l = t.sendLog;
    return this.#db
      .select()
      .from(l)
      .where(and(eq(l.groupId, groupId), gte(l.sentAt, from), lte(l.sentAt, to)))
      .orderBy(asc(l.sentAt))
      .all()
      .map((row) => ({ ...row, recipients: parseRecipients(row.recipients) }));
  }

  oldestContent(): { groups: Array<{ groupId: string; at: number }>; sendLogCreatedAt: number | undefined } {
    const groups = this.#q.oldestContent.all() as Array<{ groupId: string; at: number }>;
    const created = this.#q.oldestSendLog.get() as number | null;
    return { groups, sendLogCreatedAt: created ?? undefined };
  }

  getGroup(groupId: string): GroupRecord | undefined {
    const row = this.#q.getGroup.get(groupId) as GroupRow | undefined;
    return row ? groupOf(row) : undefined;
  }
  listGroups(): GroupRecord[] {
    return this.#db.select().from(t.groups).orderBy(asc(t.groups.groupId)).all().map(groupOf);
  }
  listGroupRetention(): Array<{ groupId: string; retentionSeconds: number | undefined }> {
    const rows = this.#q.listGroupRetention.all() as Array<{ groupId: string; retentionSeconds: unknown }>;
    // A state is written by this store from a verified GroupState: anything but a number is "not set".
    return rows.map((r) => ({ groupId: r.groupId, retentionSeconds: typeof r.retentionSeconds === 'number' ? r.retentionSeconds : undefined }));
  }
  getGroupBlobs(groupId: string, member?: string): GroupBlobs {
    const rows = (member === undefined ? this.#q.getGroupBlobs.all(groupId) : this.#q.getMemberBlobs.all(groupId, member)) as Array<{ member: string; profile: string | null; proof: string | null }>;
    return new Map(rows.map((r) => [r.member, { ...(r.profile === null ? {} : { profile: r.profile }), ...(r.proof === null ? {} : { proof: r.proof }) }]));
  }

  commit(c: StoreChanges, options?: CommitOptions): void {
    if (options?.deferSync === true) {
      // Into the open deferred transaction (a savepoint: a conflict rolls back this commit only).
      // It reaches the write-ahead log when that transaction commits, fsynced (synchronous=FULL):
      // until then a kill loses it, and the caller acknowledges nothing before `sync()`.
      if (!this.#deferred) {
        this.#q.beginDeferred.run();
        this.#deferred = true;
      }
      try {
        this.#apply(c);
      } finally {
        this.#checkDeferred();
      }
      return;
    }
    this.#endDeferred();
    this.#apply(c);
  }

  sync(): void {
    // A commit that writes nothing fsyncs nothing: one small row makes this a FULL commit that
    // syncs the log up to here. A fresh random value each time: SQLite skips writing a row whose
    // bytes do not change, and that commit would sync nothing (found by tests/crash/store-sync).
    // Always, even if no commit since looked deferred: a durable commit in between may have
    // written nothing (a delete that matched no row), and so synced nothing.
    if (this.#deferredLost) {
      this.#deferredLost = false;
      if (this.#deferred) this.#rollbackDeferred();
      throw new Error('the store lost commits not yet synced (SQLite rolled their transaction back)');
    }
    try {
      this.#q.putMeta.run(SYNC_MARK, randomBytes(9).toString('base64'));
      this.#endDeferred();
    } catch (err) {
      // This sync reports the loss itself: the next one starts clean.
      this.#checkDeferred();
      if (this.#deferred) this.#rollbackDeferred();
      this.#deferredLost = false;
      throw err;
    }
  }

  /**
   * Commits the open deferred transaction, if any (synchronous=FULL: the log is fsynced). If that
   * fails, its commits are gone: the next `sync()` throws, so nothing of them is acknowledged.
   */
  #endDeferred(): void {
    if (!this.#deferred) return;
    try {
      this.#q.commitDeferred.run();
      this.#deferred = false;
    } catch (err) {
      this.#checkDeferred();
      if (this.#deferred) this.#rollbackDeferred();
      this.#deferredLost = true;
      throw err;
    }
  }

  /** SQLite may end a transaction on its own after an error: if it ended ours, what it held is lost. */
  #checkDeferred(): void {
    if (!this.#deferred || this.#sqlite.inTransaction) return;
    this.#deferred = false;
    this.#deferredLost = true;
    this.#forgetCaches();
  }

  #rollbackDeferred(): void {
    this.#deferred = false;
    try {
      this.#q.rollbackDeferred.run();
    } finally {
      this.#forgetCaches();
    }
  }

  /** The read caches were written through for commits that are gone: read again from the file. */
  #forgetCaches(): void {
    this.#sessions.clear();
    this.#identities.clear();
  }

  #apply(c: StoreChanges): void {
    const db = this.#db;
    const q = this.#q;
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
        q.putMeta.run(key, value);
      }
      for (const s of c.sessions ?? []) {
        if (s.record === null) q.deleteSession.run(s.accountId, s.deviceId);
        else q.putSession.run(s.accountId, s.deviceId, buf(s.record));
      }
      for (const { accountId, record: r } of c.identities ?? []) q.putIdentity.run(accountId, buf(r.publicKey), r.verified, r.firstSeenAt, r.changedAt);
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
      for (const s of c.senderKeys ?? []) q.putSenderKey.run(s.sender, s.distributionId, buf(s.record));
      for (const m of c.processedMessages ?? []) q.addProcessedMessage.run(this.#dedupeKey(m), processedHour(m.processedAt));
      for (const e of c.processedEnvelopes ?? []) q.addProcessedEnvelope.run(e.guid, processedHour(e.processedAt));
      for (const u of c.addUnprocessed ?? []) q.addUnprocessed.run(u.guid, u.serverTimestamp, u.content, u.receivedAt);
      for (const guid of c.removeUnprocessed ?? []) q.removeUnprocessed.run(guid);
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
      for (const b of c.groupBlobs ?? []) {
        if (b.reset) q.resetGroupBlobs.run(b.groupId);
        for (const [m, v] of b.put) {
          if (v === null) q.deleteGroupBlobs.run(b.groupId, m);
          else q.putGroupBlobs.run(b.groupId, m, v.profile ?? null, v.proof ?? null);
        }
      }
      for (const s of c.removeSenderKeys ?? []) {
        db.delete(t.senderKeys).where(and(eq(t.senderKeys.sender, s.sender), eq(t.senderKeys.distributionId, s.distributionId))).run();
      }
      for (const i of c.senderKeyInfos ?? []) q.putSenderKeyInfo.run(i.groupId, i.distributionId, i.createdAt, JSON.stringify(i.devices));
      for (const groupId of c.removeSenderKeyInfos ?? []) db.delete(t.groupSenderKeys).where(eq(t.groupSenderKeys.groupId, groupId)).run();
      const now = Date.now();
      for (const a of c.alerts ?? []) q.putAlert.run(a.groupId, a.id, a.observedAt, a.expiresAt, JSON.stringify(a), Math.min(a.sentAt, now));
      for (const r of c.alertResponses ?? []) q.putAlertResponse.run(r.groupId, r.alertId, r.accountId, r.kind, r.value, r.note ?? null, r.sentAt);
      for (const { groupId, alertId } of c.removeAlerts ?? []) {
        db.delete(t.alertResponses).where(and(eq(t.alertResponses.groupId, groupId), eq(t.alertResponses.alertId, alertId))).run();
        db.delete(t.alerts).where(and(eq(t.alerts.groupId, groupId), eq(t.alerts.alertId, alertId))).run();
      }
      for (const x of c.alertTombstones ?? []) {
        q.putTombstone.run(x.groupId, x.alertId, x.kind, x.by, x.byDevice, x.reason ?? null, x.at, x.expiresAt);
        if ((q.countTombstones.get(x.groupId) as number) > LIMITS.maxAlertTombstonesPerGroup) q.evictTombstone.run({ group: x.groupId });
      }
      for (const r of c.removeAlertTombstones ?? []) q.removeTombstones.run(r.groupId, r.alertId);
      if (c.deleteAlertsExpiredBefore !== undefined) {
        const before = c.deleteAlertsExpiredBefore;
        q.pruneTombstones.run(before);
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
      for (const e of c.sendLog ?? []) q.putSendLog.run(e.groupId, e.sentAt, e.distributionId, e.content, e.createdAt, e.resends, JSON.stringify(e.recipients));
      if (c.pruneSendLogBefore !== undefined) q.pruneSendLog.run(c.pruneSendLogBefore);
      for (const { groupId, before } of c.purgeContent ?? []) {
        const at = { group: groupId, before };
        q.purgeSendLog.run(at);
        q.purgeResponses.run(at);
        q.purgeTombstones.run(at);
        q.purgeAlerts.run(at);
      }
      if (c.pruneProcessedBefore !== undefined) {
        q.pruneProcessedMessages.run(c.pruneProcessedBefore);
        q.pruneProcessedEnvelopes.run(c.pruneProcessedBefore);
      }
    });
    try {
      apply();
    } catch (err) {
      // Rolled back: the caches still match the database.
      if (isConstraintError(err)) throw new StoreConflictError('change set conflicts with stored state', { cause: err });
      throw err;
    }
    // Committed: write through to the read caches (accounts not cached are read on first use).
    for (const s of c.sessions ?? []) {
      const devices = this.#sessions.get(s.accountId);
      if (devices === undefined) continue;
      if (s.record === null) devices.delete(s.deviceId);
      else devices.set(s.deviceId, new Uint8Array(s.record));
    }
    for (const { accountId, record: r } of c.identities ?? []) {
      if (this.#identities.has(accountId)) this.#identities.set(accountId, { ...r, publicKey: new Uint8Array(r.publicKey) });
    }
  }

  /**
   * Copies the WAL into the database file and truncates it to zero bytes: until then the WAL holds
   * the pages of deleted rows as they were (secure_delete zeroes them in the database file only).
   */
  scrub(): void {
    this.#endDeferred(); // a checkpoint cannot run inside a transaction
    this.#sqlite.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (!this.#sqlite.open) return;
    try {
      // Deferred commits not synced yet are kept, as a commit to the log would have kept them.
      this.#endDeferred();
    } finally {
      this.#sqlite.close();
    }
  }
}

type GroupRow = Pick<typeof t.groups.$inferSelect, 'groupId' | 'masterKey' | 'status' | 'state' | 'invitePassword'>;

function groupOf(row: GroupRow): GroupRecord {
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

/** A send-log row's recipients; anything unreadable counts as none (nothing is resent from it). */
function parseRecipients(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
