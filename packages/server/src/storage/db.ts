import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Runs `fn` in one write transaction (BEGIN IMMEDIATE); any throw rolls everything back. */
export type Transactor = <T>(fn: () => T) => T;

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
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    transaction: <T>(fn: () => T): T => sqlite.transaction(fn).immediate(),
    close: () => {
      if (!sqlite.open) return;
      sqlite.pragma('wal_checkpoint(TRUNCATE)');
      sqlite.close();
    },
  };
}
