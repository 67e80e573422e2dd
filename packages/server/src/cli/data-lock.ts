import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CliError } from './errors.js';

export const LOCK_FILE = 'relay.lock';

/** Held by `serve` (and `restore`) for as long as the process lives. */
export interface DataLock {
  release(): void;
}

/**
 * Takes the data folder's lock: an exclusive SQLite lock on `<dataDir>/relay.lock`, held until the
 * process ends. It is a kernel file lock (fcntl), so a relay killed with SIGKILL or a power cut
 * leaves no stale lock behind: the kernel drops it with the process. A pid file cannot promise that
 * (pids are reused). `busyMessage` is the error when someone else holds it.
 */
export function acquireDataLock(dataDir: string, busyMessage: string): DataLock {
  const path = join(dataDir, LOCK_FILE);
  closeSync(openSync(path, 'a', 0o600)); // owner-only, like everything in the data folder
  const db = new Database(path, { timeout: 2000 });
  try {
    // EXCLUSIVE locking mode keeps the lock after the first write until the connection closes.
    db.pragma('journal_mode = OFF'); // nothing in it worth a journal; no relay.lock-journal beside it
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') throw new CliError(busyMessage);
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

/** True while another process holds the lock; takes nothing (a brief shared read that fails fast). */
export function isDataDirLocked(dataDir: string): boolean {
  const path = join(dataDir, LOCK_FILE);
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
