import { existsSync, linkSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateFile, fsyncDir, fsyncFile, shred } from '../private-files.js';
import { Database, applyKey, probeDatabase, type SqliteDatabase } from './cipher-db.js';
import { writeStoreKeyFile, type StoreKeyFile } from './store-key.js';

/**
 * Converts a plain store into an encrypted one in place, so that kill -9 at any moment loses
 * nothing and leaves a folder that opens (with the old state or the new one):
 *
 * 1. the new wrapped-key file is staged as `<key>.pending` (fsync);
 * 2. the plain database folds its WAL back in and leaves WAL mode (no -wal left to pair with the
 *    new file);
 * 3. every table is copied, in one transaction, into `<db>.encrypting`, a new encrypted database
 *    (fsync);
 * 4. the plain file gets a second name, `<db>.plain`, so it can be overwritten after the swap;
 * 5. `<db>.encrypting` is renamed over the database (fsync the folder): the commit point;
 * 6. `<key>.pending` is renamed to the key file;
 * 7. `<db>.plain` is overwritten with zeros and removed. Best effort only: journaling and
 *    copy-on-write file systems and SSDs may keep the old blocks (docs/sdk.md says so).
 *
 * recoverConversion() runs before every open and finishes or discards what a crash left: the
 * database file's own kind (plain or not) says which side of step 5 the crash fell on.
 */

export const ENCRYPTING_SUFFIX = '.encrypting';
export const PLAIN_SUFFIX = '.plain';
export const PENDING_SUFFIX = '.pending';

export type ConversionStep = 'key-staged' | 'wal-folded' | 'copying' | 'exported' | 'linked' | 'swapped' | 'key-committed' | 'shredded';

/**
 * Test hook: AVISO_TEST_CRASH_AT=<step> kills this process with SIGKILL right after that step, so
 * tests can kill -9 the conversion at each point deterministically.
 */
function crashPoint(step: ConversionStep): void {
  if (process.env.AVISO_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Copies schema and rows of the attached plain database `src` into `db`'s main (sqlcipher_export, which this SQLite lacks). */
function exportInto(db: SqliteDatabase, src: string): void {
  const objects = db
    .prepare(`SELECT type, name, sql FROM ${src}.sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, rowid`)
    .all() as Array<{ type: string; name: string; sql: string }>;
  const tables = objects.filter((o) => o.type === 'table').map((o) => o.name);
  db.transaction(() => {
    for (const o of objects.filter((x) => x.type === 'table')) db.exec(o.sql);
    for (const [i, name] of tables.entries()) {
      db.exec(`INSERT INTO main.${quote(name)} SELECT * FROM ${src}.${quote(name)}`);
      if (i === 0) crashPoint('copying');
    }
    const hasSequence = db.prepare(`SELECT 1 FROM ${src}.sqlite_schema WHERE name = 'sqlite_sequence'`).get() !== undefined;
    if (hasSequence) db.exec(`DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence SELECT * FROM ${src}.sqlite_sequence`);
    for (const o of objects.filter((x) => x.type !== 'table')) db.exec(o.sql);
    for (const name of tables) {
      const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
      const want = count(`${src}.${quote(name)}`);
      const got = count(`main.${quote(name)}`);
      if (want !== got) throw new Error(`encrypting the store copied ${String(got)} of ${String(want)} rows of ${name}`);
    }
    for (const pragma of ['user_version', 'application_id']) {
      const value = db.pragma(`${src}.${pragma}`, { simple: true }) as number;
      db.pragma(`main.${pragma} = ${Math.trunc(value)}`);
    }
  })();
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

export function encryptInPlace(dbPath: string, keyFilePath: string, dbKey: Uint8Array, keyFile: StoreKeyFile): void {
  const dir = join(dbPath, '..');
  const staging = `${dbPath}${ENCRYPTING_SUFFIX}`;
  const pendingKey = `${keyFilePath}${PENDING_SUFFIX}`;
  writeStoreKeyFile(pendingKey, keyFile);
  crashPoint('key-staged');

  const plain = new Database(dbPath, { fileMustExist: true });
  try {
    plain.pragma('journal_mode = DELETE');
  } finally {
    plain.close();
  }
  if (existsSync(`${dbPath}-wal`)) throw new Error('the plain store still has a -wal file after leaving WAL mode');
  crashPoint('wal-folded');

  rmSync(staging, { force: true });
  rmSync(`${staging}-journal`, { force: true });
  ensurePrivateFile(staging);
  try {
    const enc = new Database(staging);
    try {
      applyKey(enc, dbKey);
      // KEY '': attached without encryption (an ATTACH without KEY would reuse main's key).
      enc.prepare("ATTACH DATABASE ? AS plain KEY ''").run(dbPath);
      exportInto(enc, 'plain');
      enc.exec('DETACH plain');
    } finally {
      enc.close();
    }
    fsyncFile(staging);
  } catch (err) {
    rmSync(staging, { force: true });
    rmSync(`${staging}-journal`, { force: true });
    rmSync(pendingKey, { force: true });
    throw err;
  }
  crashPoint('exported');

  const oldName = `${dbPath}${PLAIN_SUFFIX}`;
  rmSync(oldName, { force: true });
  linkSync(dbPath, oldName);
  fsyncDir(dir);
  crashPoint('linked');

  renameSync(staging, dbPath);
  fsyncDir(dir);
  crashPoint('swapped');

  renameSync(pendingKey, keyFilePath);
  fsyncDir(dir);
  crashPoint('key-committed');

  shred(oldName);
  fsyncDir(dir);
  crashPoint('shredded');
}

/**
 * Finishes or discards an interrupted conversion (see above). Reads the database only to tell
 * plain from not plain, and changes nothing when there is nothing to recover.
 */
export function recoverConversion(dbPath: string, keyFilePath: string): void {
  const staging = `${dbPath}${ENCRYPTING_SUFFIX}`;
  const pendingKey = `${keyFilePath}${PENDING_SUFFIX}`;
  const oldName = `${dbPath}${PLAIN_SUFFIX}`;
  const dir = join(dbPath, '..');
  // Before the swap the staging file is disposable; after it, it no longer exists. (A duress
  // unlock builds its empty store under the same name, in WAL mode: duress.ts.)
  const stagingFiles = ['', '-journal', '-wal', '-shm'].map((suffix) => `${staging}${suffix}`);
  if (stagingFiles.some((f) => existsSync(f))) {
    for (const f of stagingFiles) rmSync(f, { force: true });
    fsyncDir(dir);
  }
  rmSync(`${pendingKey}.tmp`, { force: true });
  rmSync(`${keyFilePath}.tmp`, { force: true });
  if (existsSync(pendingKey)) {
    if (!existsSync(keyFilePath) && probeDatabase(dbPath) === 'other') renameSync(pendingKey, keyFilePath); // swapped: commit the key
    else rmSync(pendingKey, { force: true }); // not swapped: the store is still the plain one
    fsyncDir(dir);
  }
  if (existsSync(oldName)) {
    // Still the database's second name (crash before the swap): just drop the name.
    if (sameFile(oldName, dbPath)) rmSync(oldName, { force: true });
    else shred(oldName);
    fsyncDir(dir);
  }
}
