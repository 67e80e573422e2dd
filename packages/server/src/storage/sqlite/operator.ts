import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { DatabaseFileError, type CopyProgress, type OperatorStorage, type ReadOnlyRelayDatabase } from '../../ports/operator.js';
import type { RelayCounts } from '../../ports/storage.js';
import { isNewerSchema } from './migrations.js';
import { relayCounts } from './stats.js';

/** Pages copied per step of the online backup: small enough to report progress, large enough to be quick. */
const PAGES_PER_STEP = 1024;
/** How long a read waits behind the relay's writer (it only needs a moment between commits). */
const BUSY_TIMEOUT_MS = 5000;

/** `aviso-relay info`, `backup` and `restore` on SQLite files (see ports/operator.ts). */
export const sqliteOperatorStorage: OperatorStorage = {
  openReadOnly(path: string): ReadOnlyRelayDatabase {
    // readonly: SQLite refuses every write on this connection, so nothing here can migrate, checkpoint
    // or otherwise change a live relay's files; fileMustExist: never creates one.
    const sqlite = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    try {
      assertRelayDatabase(sqlite, path);
      if (isNewerSchema(sqlite)) throw new DatabaseFileError('newer-schema', path);
    } catch (err) {
      sqlite.close();
      throw err;
    }
    return {
      counts: (now) => relayCounts(drizzle(sqlite), now),
      copyTo: (file, progress) => copySnapshot(sqlite, file, progress),
      close: () => {
        if (!sqlite.open) return;
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        sqlite.close();
      },
    };
  },

  checkCopy(path: string, now: number): RelayCounts {
    let sqlite: Database.Database;
    try {
      sqlite = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    } catch (err) {
      throw unreadable(path, err);
    }
    try {
      let check: { integrity_check: string }[];
      try {
        // The copy keeps the WAL flag of its source; a plain rollback-journal file moves and restores
        // cleanly anywhere (no -wal beside it when it is renamed).
        sqlite.pragma('journal_mode = DELETE');
        check = sqlite.pragma('integrity_check') as { integrity_check: string }[];
      } catch (err) {
        throw unreadable(path, err);
      }
      if (check.length !== 1 || check[0]?.integrity_check !== 'ok') {
        throw new DatabaseFileError('failed-integrity-check', path, check[0]?.integrity_check ?? 'no result');
      }
      assertRelayDatabase(sqlite, path);
      if (isNewerSchema(sqlite)) throw new DatabaseFileError('newer-schema', path);
      return relayCounts(drizzle(sqlite), now);
    } finally {
      sqlite.close();
    }
  },
};

/**
 * SQLite's online backup inside one read transaction: every step reads the same snapshot, so writes
 * the running relay commits meanwhile (WAL lets it go on) neither restart the backup nor leak half
 * into it.
 */
async function copySnapshot(sqlite: Database.Database, file: string, progress?: CopyProgress): Promise<void> {
  sqlite.exec('BEGIN');
  try {
    sqlite.prepare('SELECT count(*) FROM sqlite_master').get(); // the snapshot starts at the first read
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    await sqlite.backup(file, {
      progress: ({ totalPages, remainingPages }) => {
        progress?.((totalPages - remainingPages) * pageSize, totalPages * pageSize);
        return PAGES_PER_STEP;
      },
    });
    sqlite.exec('COMMIT');
  } finally {
    if (sqlite.open && sqlite.inTransaction) sqlite.exec('ROLLBACK');
  }
}

/** Fails unless `sqlite` looks like an Aviso relay database (not some other SQLite file). */
function assertRelayDatabase(sqlite: Database.Database, path: string): void {
  let tables: string[];
  try {
    tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new DatabaseFileError('not-a-database', path, '', { cause: err });
    throw err;
  }
  if (!tables.includes('accounts') || !tables.includes('messages')) throw new DatabaseFileError('not-a-relay-database', path);
}

function unreadable(path: string, err: unknown): DatabaseFileError {
  return new DatabaseFileError('unreadable', path, err instanceof Error ? err.message : String(err), { cause: err });
}
