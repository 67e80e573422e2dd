import { join } from 'node:path';
import { DataDirLockedError, DiskFullError } from '../errors.js';
import { Database, type SqliteDatabase } from './sqlite/cipher-db.js';
import { ensurePrivateFile, makePrivateDir } from './private-files.js';

export const LOCK_FILE_NAME = 'aviso-client.lock';

/**
 * One open client per data folder: the ratchet state lives in memory between commits, so two
 * clients on one store fork it (and the relay keeps only one connection per device alive).
 *
 * Node has no flock, so the lock is SQLite's own: an empty database file opened with
 * `locking_mode=EXCLUSIVE` and a write transaction begun and never committed. SQLite takes a POSIX
 * record lock (LockFileEx on Windows) that the kernel drops when the process dies, so kill -9
 * leaves no stale lock; and SQLite tracks its locks per inode inside the process, so a second
 * connection from this same process is refused too (POSIX locks alone would not conflict there).
 * Nothing is ever written, so the file stays empty.
 *
 * Only SQLite may open the lock file in this process: closing any other descriptor on it would drop
 * the process's POSIX locks on it (SQLite defers its own closes for exactly that reason).
 */
export class DataDirLock {
  // Held strongly for as long as the lock lives: a collected connection would close and unlock.
  readonly #db: SqliteDatabase;

  private constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** Takes the folder's lock, creating the folder (owner-only) if needed; throws DataDirLockedError at once if held. */
  static acquire(dataDir: string): DataDirLock {
    makePrivateDir(dataDir);
    const path = join(dataDir, LOCK_FILE_NAME);
    // Before SQLite opens it, and creating it only (see ensurePrivateFile on why no descriptor of ours may close on it).
    ensurePrivateFile(path);
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') throw new DataDirLockedError(dataDir, { cause: err });
      // Taking the lock writes a journal: on a full disk even that has no room.
      if ((err as { code?: unknown }).code === 'SQLITE_FULL') throw new DiskFullError(dataDir, { cause: err });
      throw err;
    }
    return new DataDirLock(db);
  }

  /** Ends the transaction and closes the file, which drops the lock. Idempotent. */
  release(): void {
    if (this.#db.open) this.#db.close();
  }
}
