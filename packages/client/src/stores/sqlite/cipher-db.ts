import { statSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { StoreCorruptError } from '../../errors.js';

/**
 * The client's one SQLite library is better-sqlite3-multiple-ciphers (SQLite3 Multiple Ciphers, a
 * better-sqlite3 drop-in). Encrypted stores use its SQLCipher 4 scheme (AES-256-CBC pages with an
 * HMAC-SHA512 each), so a standard `sqlcipher` shell opens them with the same raw key:
 * `PRAGMA key = "x'<64 hex digits>'"` (the memory-hard KDF is ours, in store-key.ts).
 */
export type SqliteDatabase = Database.Database;
export { Database };

/** Sets the SQLCipher 4 scheme and the raw key on a connection that has not read anything yet. */
export function applyKey(db: SqliteDatabase, dbKey: Uint8Array): void {
  db.pragma("cipher = 'sqlcipher'");
  db.pragma('legacy = 4');
  const literal = Buffer.from(`x'${Buffer.from(dbKey).toString('hex')}'`, 'latin1');
  try {
    db.key(literal);
  } finally {
    literal.fill(0);
  }
}

const UNREADABLE = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_CORRUPT_VTAB']);

/** SQLite's "this file is not (or no longer) a database we can read" codes, as a typed error. */
export function asStoreCorrupt(err: unknown, path: string, detail: string): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNREADABLE.has(code) || code.startsWith('SQLITE_CORRUPT'))) return new StoreCorruptError(path, `${detail} (${code})`, { cause: err });
  return err;
}

/**
 * What the file at `path` is, asked through SQLite itself (a plain read of the header would open a
 * descriptor whose close could drop another connection's locks): 'missing' (absent or empty),
 * 'plain' (an unencrypted SQLite database), or 'other' (encrypted, or not a database at all).
 * Writes nothing to a file that is not plain.
 */
export function probeDatabase(path: string): 'missing' | 'plain' | 'other' {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  // A fresh store's file is created empty (0600) before SQLite first opens it.
  if (size === 0) return 'missing';
  // Read-write: a read-only connection cannot open a WAL database whose -shm is gone.
  const db = new Database(path, { fileMustExist: true });
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    return 'plain';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'))) return 'other';
    throw err;
  } finally {
    db.close();
  }
}
