import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DiskFullError, KeyFileError, NotPassphraseProtectedError, PassphraseRequiredError, StoreCorruptError } from '../../errors.js';
import { makePrivateDir } from '../private-files.js';
import { probeDatabase } from './cipher-db.js';
import { PENDING_SUFFIX, encryptInPlace, recoverConversion } from './encrypt-in-place.js';
import { SQLITE_FILE_NAME } from './sqlite-store.js';
import {
  STORE_KEY_FILE_NAME,
  keyFileRecord,
  matchesKeyCheck,
  newDbKey,
  readRawKeyFile,
  readStoreKeyFile,
  unwrapWithPassphrase,
  wrapWithPassphrase,
  writeStoreKeyFile,
  type StoreKeyFile,
  type StoreSecret,
} from './store-key.js';

export type StoreProtection = 'none' | 'passphrase' | 'key-file';

/**
 * Turns open()'s secret into the database key, under the data folder's lock: recovers an
 * interrupted conversion, then unwraps the key (a new store gets one; a plain store given a secret
 * is encrypted in place). Without a secret a plain store stays plain. A wrong secret throws before
 * anything is written.
 */
export async function unlockStore(dataDir: string, secret: StoreSecret | undefined): Promise<{ dbKey: Buffer | undefined; protection: StoreProtection }> {
  makePrivateDir(dataDir);
  const dbPath = join(dataDir, SQLITE_FILE_NAME);
  const keyPath = join(dataDir, STORE_KEY_FILE_NAME);
  recoverConversion(dbPath, keyPath);
  const existing = readStoreKeyFile(keyPath);
  if (existing) {
    if (secret === undefined || ('passphrase' in secret) !== (existing.protection === 'passphrase')) {
      throw new PassphraseRequiredError(dataDir, existing.protection);
    }
    return { dbKey: await keyOf(existing, secret, dataDir, keyPath), protection: existing.protection };
  }
  let kind: ReturnType<typeof probeDatabase>;
  try {
    kind = probeDatabase(dbPath);
  } catch (err) {
    throw asDiskFull(err, dataDir);
  }
  if (kind === 'other') {
    throw new StoreCorruptError(dbPath, 'it is not a plain SQLite database and the folder holds no wrapped-key file (truncated, corrupted, or its key file was lost)');
  }
  if (secret === undefined) return { dbKey: undefined, protection: 'none' };
  const { dbKey, record } = await newKey(secret);
  try {
    if (kind === 'missing') writeStoreKeyFile(keyPath, record);
    else encryptInPlace(dbPath, keyPath, dbKey, record);
  } catch (err) {
    dbKey.fill(0);
    if (!isDiskFull(err)) throw err;
    // What a full disk left half-written (a staged key, a partial copy) is put back as it was.
    recoverConversion(dbPath, keyPath);
    throw new DiskFullError(dataDir, { cause: err });
  }
  return { dbKey, protection: record.protection };
}

// SQLite's and the OS's words for "no room": a full disk, a quota, a file size limit, or no room to grow the -shm.
const DISK_FULL_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE', 'ENOSPC', 'EDQUOT', 'EFBIG']);

function isDiskFull(err: unknown): boolean {
  return DISK_FULL_CODES.has(String((err as { code?: unknown }).code));
}

/** `err` as DiskFullError when it says the disk is full, else unchanged. */
export function asDiskFull(err: unknown, dataDir: string): unknown {
  return isDiskFull(err) ? new DiskFullError(dataDir, { cause: err }) : err;
}

/**
 * How the store in `dataDir` is protected at rest, read from its wrapped-key file without any
 * secret: 'passphrase', 'key-file', or 'none' (plain, or no store yet). A front end asks this to
 * know whether to ask for a passphrase before open(). Throws StoreWipedError after an interrupted
 * wipe, StoreCorruptError for a malformed key file.
 */
export function storeProtection(dataDir: string): StoreProtection {
  const keyPath = join(dataDir, STORE_KEY_FILE_NAME);
  // A conversion that was interrupted will finish (or be undone) at open; either way it needs the secret it was given.
  const file = readStoreKeyFile(keyPath) ?? readStoreKeyFile(`${keyPath}${PENDING_SUFFIX}`);
  return file?.protection ?? 'none';
}

async function keyOf(file: StoreKeyFile, secret: StoreSecret, dataDir: string, keyPath: string): Promise<Buffer> {
  if (file.protection === 'passphrase' && 'passphrase' in secret) return unwrapWithPassphrase(file, secret.passphrase, dataDir, keyPath);
  if (file.protection === 'key-file' && 'keyFile' in secret) {
    const dbKey = readRawKeyFile(secret.keyFile);
    if (!matchesKeyCheck(file, dbKey)) {
      dbKey.fill(0);
      throw new KeyFileError(secret.keyFile, 'wrong-key');
    }
    return dbKey;
  }
  throw new PassphraseRequiredError(dataDir, file.protection);
}

async function newKey(secret: StoreSecret): Promise<{ dbKey: Buffer; record: StoreKeyFile }> {
  if ('keyFile' in secret) {
    const dbKey = readRawKeyFile(secret.keyFile);
    return { dbKey, record: keyFileRecord(dbKey) };
  }
  const dbKey = newDbKey();
  return { dbKey, record: await wrapWithPassphrase(dbKey, secret.passphrase) };
}

/**
 * Rewraps the database key under a new passphrase (fresh salt and IV, current scrypt defaults);
 * the database itself is untouched. The new file replaces the old one by an fsynced rename, so a
 * crash leaves one of the two passphrases working, never neither.
 */
export async function changeStorePassphrase(dataDir: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
  if (newPassphrase.length === 0) throw new RangeError('the new passphrase is empty');
  const keyPath = join(dataDir, STORE_KEY_FILE_NAME);
  const file = readStoreKeyFile(keyPath);
  if (file?.protection !== 'passphrase') throw new NotPassphraseProtectedError(dataDir, file?.protection ?? 'none');
  const dbKey = await unwrapWithPassphrase(file, oldPassphrase, dataDir, keyPath);
  try {
    writeStoreKeyFile(keyPath, await wrapWithPassphrase(dbKey, newPassphrase));
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    rmSync(`${keyPath}.tmp`, { force: true }); // the old key file was never touched
    throw new DiskFullError(dataDir, { cause: err });
  } finally {
    dbKey.fill(0);
  }
}
