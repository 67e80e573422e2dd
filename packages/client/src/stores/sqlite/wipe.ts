import { closeSync, existsSync, openSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DataDirLock, LOCK_FILE_NAME } from '../data-dir-lock.js';
import { fsyncDir, overwriteWithZeros, shred, writeFileDurably } from '../private-files.js';
import { ENCRYPTING_SUFFIX, PENDING_SUFFIX, PLAIN_SUFFIX } from './encrypt-in-place.js';
import { SQLITE_FILE_NAME } from './sqlite-store.js';
import { STORE_KEY_FILE_NAME } from './store-key.js';

/**
 * Panic wipe of a data folder: crypto-shred first, then the files, then the folder.
 *
 * 1. the key file given to open() (kept elsewhere, for bots) is overwritten with zeros and removed;
 * 2. any staged copy of the wrapped key (`.pending`, `.tmp`) is overwritten and removed;
 * 3. the wrapped-key file is overwritten with zeros in place (a plain store, which has none, gets
 *    a zero-filled one): the commit point. From here on the database key exists nowhere on disk,
 *    and every open() says STORE_WIPED instead of reading what is left;
 * 4. the database, its -wal, -shm, -journal and conversion leftovers are overwritten and removed;
 * 5. the zeroed key file and the lock file are removed, then the folder if nothing else is in it.
 *
 * kill -9 before step 3 leaves the store as it was (it opens with its secret); at or after it,
 * nothing is decryptable and a second wipe finishes the job. Overwriting is best effort against
 * reading the raw disk (journaling and copy-on-write file systems and SSDs may keep old blocks): what
 * protects an encrypted store is that its key, wrapped or not, is gone. A plain store has no key to
 * destroy, so for it the wipe is only the overwrite.
 */

export interface WipeOptions {
  /** The key file the store was opened with (`AvisoClient.open({ keyFile })`): destroyed first. */
  keyFile?: string;
}

export type WipeStep = 'key-file-shredded' | 'key-shredded' | 'files-shredded' | 'removed';

/** Test hook: AVISO_TEST_CRASH_AT=wipe:<step> kills the process with SIGKILL right after that step. */
function crashPoint(step: WipeStep): void {
  if (process.env.AVISO_TEST_CRASH_AT === `wipe:${step}`) process.kill(process.pid, 'SIGKILL');
}

const DATABASE_FILES = ['', '-wal', '-shm', '-journal', ENCRYPTING_SUFFIX, `${ENCRYPTING_SUFFIX}-journal`, `${ENCRYPTING_SUFFIX}-wal`, `${ENCRYPTING_SUFFIX}-shm`, PLAIN_SUFFIX].map((suffix) => `${SQLITE_FILE_NAME}${suffix}`);

/**
 * Wipes the store in `dataDir` (see above) when no client has it open: takes the folder's lock
 * (DataDirLockedError if another client holds it), wipes, releases. No secret is needed: a wipe must
 * work for someone who cannot, or will not, unlock. A folder that does not exist is already wiped.
 */
export function wipeDataDir(dataDir: string, opts: WipeOptions = {}): void {
  if (!existsSync(dataDir)) {
    if (opts.keyFile !== undefined) shredKeyFile(opts.keyFile);
    return;
  }
  const lock = DataDirLock.acquire(dataDir);
  try {
    wipeLocked(dataDir, opts);
  } finally {
    lock.release();
  }
  removeFolderIfEmpty(dataDir);
}

/** The wipe itself, for a caller that holds the folder's lock and has closed every connection. */
export function wipeLocked(dataDir: string, opts: WipeOptions): void {
  let keyFileFailure: unknown;
  if (opts.keyFile !== undefined) {
    // A key file on read-only media cannot be destroyed from here: wipe the rest, then say so.
    try {
      shredKeyFile(opts.keyFile);
    } catch (err) {
      keyFileFailure = err;
    }
    crashPoint('key-file-shredded');
  }
  const keyPath = join(dataDir, STORE_KEY_FILE_NAME);
  for (const staged of [`${keyPath}${PENDING_SUFFIX}`, `${keyPath}${PENDING_SUFFIX}.tmp`, `${keyPath}.tmp`]) shred(staged);
  zeroKeyFile(keyPath);
  fsyncDir(dataDir);
  crashPoint('key-shredded');

  for (const name of DATABASE_FILES) shred(join(dataDir, name));
  fsyncDir(dataDir);
  crashPoint('files-shredded');

  rmSync(keyPath, { force: true });
  // Still held (by SQLite, in this process): unlinking a locked file is fine where POSIX locks are.
  rmSync(join(dataDir, LOCK_FILE_NAME), { force: true });
  fsyncDir(dataDir);
  crashPoint('removed');
  if (keyFileFailure !== undefined) throw keyFileFailure;
}

/** Overwrites the wrapped-key file in place (same blocks, not a rename), or writes a zero one. */
function zeroKeyFile(keyPath: string): void {
  let fd: number;
  try {
    fd = openSync(keyPath, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    writeFileDurably(keyPath, Buffer.alloc(64));
    return;
  }
  try {
    overwriteWithZeros(fd);
  } finally {
    closeSync(fd);
  }
}

function shredKeyFile(path: string): void {
  shred(path);
  fsyncDir(dirname(resolve(path)));
}

export function removeFolderIfEmpty(dataDir: string): void {
  try {
    rmdirSync(dataDir);
  } catch (err) {
    // Files that are not the SDK's (an app's settings) stay: they are their owner's to remove.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw err;
  }
}
