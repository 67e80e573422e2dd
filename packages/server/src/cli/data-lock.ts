import { join } from 'node:path';
import { acquireFileLock, isFileLocked } from '../storage/sqlite/backend.js';
import { CliError } from './errors.js';
import type { Words } from './words.js';

export const LOCK_FILE = 'relay.lock';

/** Held by `serve` (and `restore`) for as long as the process lives. */
export interface DataLock {
  release(): void;
}

/**
 * Takes the data folder's lock: an exclusive kernel file lock on `<dataDir>/relay.lock`, held until
 * the process ends, and dropped by the kernel if it dies (storage/sqlite/file-lock.ts).
 * `busy` is the error when someone else holds it (catalog words; a plain string only in tests).
 */
export function acquireDataLock(dataDir: string, busy: Words | string): DataLock {
  const lock = acquireFileLock(join(dataDir, LOCK_FILE));
  if (lock === 'busy') throw typeof busy === 'string' ? new CliError(busy) : CliError.of(busy.key, busy.params);
  return lock;
}

/** True while another process holds the lock; takes nothing. */
export function isDataDirLocked(dataDir: string): boolean {
  return isFileLocked(join(dataDir, LOCK_FILE));
}
