import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { and, asc, eq, inArray, lt } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import {
  StoreConflictError,
  type AccountRecord,
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
