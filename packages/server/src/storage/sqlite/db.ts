import { closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { DatabaseFileError } from '../../ports/operator.js';
import { appliedMigrations, isNewerSchema, MIGRATIONS_FOLDER, migrationJournal, schemaLevel } from './migrations.js';
import * as schema from './schema.js';
import type { Transactor } from '../../ports/transactor.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

// The port's type (ports/transactor.ts); here it is BEGIN IMMEDIATE, and `relaxed` skips the fsync
// (see `openStorage`).
export type { Transactor };

/** One open relay database; `openSqliteBackend` (backend.ts) builds the stores on it. */
export interface Storage {
  db: Db;
  transaction: Transactor;
  /**
   * StorageBackend.checkpoint: if the WAL file holds anything, copies it into the main file and
   * truncates it to zero bytes (`wal_checkpoint(TRUNCATE)`): every frame goes, current and stale, so
   * what a deletion left in the WAL (a group send's recipient list, acknowledged envelopes) is gone
   * from the file. Does not wait for readers.
   */
  checkpoint(): 'done' | 'idle' | 'busy';
  /** StorageBackend.close: the same truncation, waiting for readers up to the busy timeout, then closes. */
  close(): void;
  /** What opening it did to the schema (StorageBackend.migrations). */
  migrations: MigrationReport;
}

/** The migrations one start applied (oldest first; empty when the schema was current) and the schema level after. */
export interface MigrationReport {
  ran: readonly string[];
  schemaVersion: number;
}

/**
 * Opens (creating if needed) the relay database at `path` and applies pending migrations. Refuses
 * (DatabaseFileError `newer-schema`) a database that newer code migrated: drizzle would skip what
 * it does not know and this code would then misread or damage tables it has never seen.
 */
export function openStorage(path: string): Storage {
  // Created owner-only before SQLite opens it; SQLite gives the -wal and -shm files the same mode.
  closeSync(openSync(path, 'a', 0o600));
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power loss, and a relay that
  // answered "stored" must still hold the envelope after a crash. Sends are small; the fsync is affordable.
  sqlite.pragma('synchronous = FULL');
  // Deleted envelopes and keys are overwritten with zeros, not left in free pages for a forensic read.
  sqlite.pragma('secure_delete = ON');
  sqlite.pragma('foreign_keys = ON');
  // 32 MiB of page cache instead of SQLite's 2 MiB: with a few thousand envelopes in flight the queue
  // and its index outgrow 2 MiB, and every group send's inserts then read pages back through the OS.
  sqlite.pragma('cache_size = -32768');
  const BUSY_TIMEOUT_MS = 5000;
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const db = drizzle(sqlite, { schema });
  let migrations: MigrationReport;
  try {
    if (isNewerSchema(sqlite)) throw new DatabaseFileError('newer-schema', path, '', { schema: schemaLevel(sqlite) });
    const before = new Set(appliedMigrations(sqlite));
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    migrations = { ran: migrationJournal().filter((e) => !before.has(e.when)).map((e) => e.tag), schemaVersion: schemaLevel(sqlite).database };
  } catch (err) {
    sqlite.close();
    throw err;
  }
  // NORMAL for one commit: the WAL is not fsynced then, but in WAL mode the next FULL commit fsyncs
  // it, earlier frames included, and checkpoints still sync: a power cut can lose the relaxed commits
  // after the last durable one, never corrupt the file or reorder commits. Used for acknowledgements
  // (a lost one means a redelivery, which clients deduplicate) and for a group send's per-device rows
  // (rebuilt at start-up from the durable pending_fanouts row).
  const relaxed = sqlite.prepare('PRAGMA synchronous = NORMAL');
  const full = sqlite.prepare('PRAGMA synchronous = FULL');
  const noWait = sqlite.prepare('PRAGMA busy_timeout = 0');
  const wait = sqlite.prepare(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const truncateWal = (): 'done' | 'busy' => {
    const [result] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return result?.busy === 0 ? 'done' : 'busy';
  };
  return {
    db,
    migrations,
    transaction: <T>(fn: () => T, options?: { relaxed?: boolean }): T => {
      if (options?.relaxed !== true || sqlite.inTransaction) return sqlite.transaction(fn).immediate();
      relaxed.run();
      try {
        return sqlite.transaction(fn).immediate();
      } finally {
        full.run();
      }
    },
    checkpoint: () => {
      if (!sqlite.open) return 'idle'; // closing truncated the WAL already; there is nothing left to do
      if (sqlite.inTransaction) return 'busy';
      let bytes: number;
      try {
        bytes = statSync(`${path}-wal`).size;
      } catch {
        return 'idle'; // no WAL file at all
      }
      if (bytes === 0) return 'idle';
      // Without waiting: a reader in another process (`aviso-relay backup`, `info`) must not stall
      // the event loop for the busy timeout; the next interval tries again.
      noWait.run();
      try {
        return truncateWal();
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return 'busy';
        throw err;
      } finally {
        wait.run();
      }
    },
    close: () => {
      if (!sqlite.open) return;
      // Waiting this time (the process is stopping). If a reader still holds the WAL, what is left in
      // it is truncated by the next start's first checkpoint (context.ts), before anyone is served.
      truncateWal();
      sqlite.close();
    },
  };
}
