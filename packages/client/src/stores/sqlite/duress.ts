import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateFile, fsyncDir, shred } from '../private-files.js';
import { Database, applyKey } from './cipher-db.js';
import { ENCRYPTING_SUFFIX } from './encrypt-in-place.js';
import { SQLITE_FILE_NAME, SqliteStore } from './sqlite-store.js';

/**
 * What a duress unlock does to the database (docs/sdk.md "Duress passphrase"): the store's file is
 * overwritten, in place and to the same size, by a new, empty store under `decoyKey`.
 *
 * 1. the empty store is built aside as `<db>.encrypting` (the name an interrupted conversion
 *    leaves, which every open removes and a wipe shreds): the SDK's own schema, no identity (the
 *    client makes one at open, as for any new store), then grown to the old file's size with free
 *    pages (a store that deleted data, as retention does in every store, has them too);
 * 2. its bytes are written over the database file (same file, same size), which is fsynced: from
 *    here on the old pages are gone from that file;
 * 3. the old -wal, -shm and -journal are overwritten and removed, and the staging file removed.
 *
 * The caller then writes the key slots (key-slots.ts resealAfterDuress). kill -9 between 2 and that
 * write leaves the old key slots over the new database: the real passphrase then opens the slots
 * but not the database (STORE_CORRUPT) and the duress passphrase does this again.
 */
export function replaceWithEmptyStore(dataDir: string, decoyKey: Uint8Array): void {
  const dbPath = join(dataDir, SQLITE_FILE_NAME);
  const staging = `${dbPath}${ENCRYPTING_SUFFIX}`;
  const stagingFiles = ['', '-wal', '-shm', '-journal'].map((s) => `${staging}${s}`);
  for (const f of stagingFiles) rmSync(f, { force: true });
  let target = 0;
  try {
    target = statSync(dbPath).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    SqliteStore.openFile(staging, { key: decoyKey }).close();
    growTo(staging, decoyKey, target);
    ensurePrivateFile(dbPath);
    overwriteInPlace(dbPath, readFileSync(staging));
  } finally {
    for (const f of stagingFiles) rmSync(f, { force: true });
  }
  for (const suffix of ['-wal', '-shm', '-journal']) shred(`${dbPath}${suffix}`);
  fsyncDir(dataDir);
  // Test hook: AVISO_TEST_CRASH_AT=duress:replaced kills the process before the key slots are written.
  if (process.env.AVISO_TEST_CRASH_AT === 'duress:replaced') process.kill(process.pid, 'SIGKILL');
}

/**
 * Grows the database at `path` to `bytes` (a whole number of pages) with free pages: padding rows
 * are inserted under a page cap, then the table is dropped (secure_delete: the pages are zeroed
 * before encryption, like any deleted row's). A store already that large is left as it is.
 */
function growTo(path: string, key: Uint8Array, bytes: number): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    applyKey(db, key);
    db.pragma('secure_delete = ON');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const want = Math.floor(bytes / pageSize);
    const pages = () => db.pragma('page_count', { simple: true }) as number;
    if (pages() >= want) return;
    db.pragma(`max_page_count = ${want}`);
    const tables: string[] = [];
    // Big rows first, then smaller ones into what is left; each new table takes exactly one page.
    while (pages() < want) {
      const name = `pad_${tables.length}`;
      try {
        db.exec(`CREATE TABLE ${name} (b BLOB)`);
      } catch (err) {
        // The schema page itself would have to split: a page or two short of the old size, no more.
        if ((err as { code?: unknown }).code === 'SQLITE_FULL') break;
        throw err;
      }
      tables.push(name);
      const insert = db.prepare(`INSERT INTO ${name} VALUES (zeroblob(?))`);
      for (const size of [pageSize * 64, pageSize - 128, 256, 16]) {
        for (;;) {
          try {
            insert.run(size);
          } catch (err) {
            if ((err as { code?: unknown }).code === 'SQLITE_FULL') break;
            throw err;
          }
        }
      }
    }
    db.transaction(() => {
      for (const name of tables) db.exec(`DROP TABLE ${name}`);
    })();
  } finally {
    db.close();
  }
}

function overwriteInPlace(path: string, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
    ftruncateSync(fd, bytes.length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
