import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';

/** An exclusive lock on one file, held until `release` or the end of the process. */
export interface FileLock {
  release(): void;
}

/**
 * Takes an exclusive SQLite lock on the file at `path` (created owner-only), or returns `busy` if
 * another process holds it. It is a kernel file lock (fcntl), so a process killed with SIGKILL or a
 * power cut leaves no stale lock behind: the kernel drops it with the process. A pid file cannot
 * promise that (pids are reused). It lives here so that better-sqlite3 has one home in the relay;
 * cli/data-lock.ts makes it the data folder's lock.
 */
export function acquireFileLock(path: string): FileLock | 'busy' {
  closeSync(openSync(path, 'a', 0o600)); // owner-only, like everything in the data folder
  const db = new Database(path, { timeout: 2000 });
  try {
    // EXCLUSIVE locking mode keeps the lock after the first write until the connection closes.
    db.pragma('journal_mode = OFF'); // nothing in it worth a journal; no -journal file beside it
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return 'busy';
    throw err;
  }
  held.add(db);
  return {
    release: () => {
      held.delete(db);
      db.close();
    },
  };
}

// Strong references: a Database that is garbage-collected closes its connection, and the lock with it.
const held = new Set<Database.Database>();

/** True while another process holds the lock at `path`; takes nothing (a brief shared read that fails fast). */
export function isFileLocked(path: string): boolean {
  if (!existsSync(path)) return false;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return false;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') return true;
    throw err;
  } finally {
    db?.close();
  }
}
