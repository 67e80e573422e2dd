import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/**
 * Runs `fn` in one write transaction (BEGIN IMMEDIATE); any throw rolls everything back. A `relaxed`
 * transaction commits without waiting for the disk (see `openStorage`): only for writes whose loss in
 * a power cut is harmless, because they can be redone from what a durable commit already holds.
 */
export type Transactor = <T>(fn: () => T, options?: { relaxed?: boolean }) => T;

export interface Storage {
  db: Db;
  transaction: Transactor;
  /** Flushes the WAL into the main file and closes the connection. */
  close(): void;
}

// Resolved from this module so it works from src/ (tsx, vitest) and dist/ alike: both sit one level below the package.
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Opens (creating if needed) the relay database at `path` and applies pending migrations. */
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
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  // NORMAL for one commit: the WAL is not fsynced then, but in WAL mode the next FULL commit fsyncs
  // it, earlier frames included, and checkpoints still sync: a power cut can lose the relaxed commits
  // after the last durable one, never corrupt the file or reorder commits. Used for acknowledgements
  // (a lost one means a redelivery, which clients deduplicate) and for a group send's per-device rows
  // (rebuilt at start-up from the durable pending_fanouts row).
  const relaxed = sqlite.prepare('PRAGMA synchronous = NORMAL');
  const full = sqlite.prepare('PRAGMA synchronous = FULL');
  return {
    db,
    transaction: <T>(fn: () => T, options?: { relaxed?: boolean }): T => {
      if (options?.relaxed !== true || sqlite.inTransaction) return sqlite.transaction(fn).immediate();
      relaxed.run();
      try {
        return sqlite.transaction(fn).immediate();
      } finally {
        full.run();
      }
    },
    close: () => {
      if (!sqlite.open) return;
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.close();
    },
  };
}
