import { chmodSync, closeSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Owner-only files and folders for the store: a seized device's other users (and backup or sync
 * tools running as them) must not read the database, its -wal and -shm, the key files or the lock.
 * SQLite creates -wal, -shm and -journal with the mode of their database file, so making the
 * database file 0600 before SQLite first opens it covers them.
 */

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates `path` empty with mode 0600 if it does not exist, and tightens it to 0600 if it does
 * (folders made by older versions held a 0644 database).
 *
 * O_EXCL, and only on creation: SQLite files may be open in this process already, and closing any
 * other descriptor on one drops the process's POSIX locks on it. A file we have just created
 * exclusively is open nowhere else in this (single-threaded) process; chmod opens nothing.
 */
export function ensurePrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    chmodSync(path, PRIVATE_FILE_MODE);
  }
}

/** chmod 0600 if the file exists (a database's -wal and -shm from an older version). */
export function tightenIfPresent(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Makes a rename or unlink in `dir` durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a file that no SQLite connection in this process has open (see ensurePrivateFile). */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the new
 * one, never a mix: write `<path>.tmp` (0600), fsync it, rename it over `path`, fsync the folder.
 */
export function writeFileDurably(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/**
 * Overwrites a file no SQLite connection in this process has open with zeros (fsync), then removes
 * it; a missing file is fine. Best effort against reading the disk afterwards: journaling and
 * copy-on-write file systems and SSDs may keep the old blocks (docs/sdk.md says so).
 */
export function shred(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    overwriteWithZeros(fd);
  } finally {
    closeSync(fd);
  }
  rmSync(path, { force: true });
}

/** Overwrites the whole of an open file with zeros, in place, and fsyncs it. */
export function overwriteWithZeros(fd: number): void {
  const size = fstatSync(fd).size;
  const zeros = Buffer.alloc(Math.max(1, Math.min(size, 1 << 20)));
  for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  fsyncSync(fd);
}
