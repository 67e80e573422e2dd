import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DiskFullError, KeyFileError, NotPassphraseProtectedError, PassphraseConflictError, PassphraseRequiredError, StoreCorruptError, WrongPassphraseError } from '../../errors.js';
import { makePrivateDir } from '../private-files.js';
import { probeDatabase } from './cipher-db.js';
import { replaceWithEmptyStore } from './duress.js';
import { PENDING_SUFFIX, encryptInPlace, recoverConversion } from './encrypt-in-place.js';
import {
  newSlots,
  openSlots,
  opensDuressSlot,
  rekeyStoreSlot,
  releaseMatch,
  resealAfterDuress,
  resealAfterUnlock,
  slotsWellFormed,
  withDuressSlot,
  withoutDuressSlot,
  type SlotMatch,
} from './key-slots.js';
import { SQLITE_FILE_NAME } from './sqlite-store.js';
import {
  STORE_KEY_FILE_NAME,
  keyFileRecord,
  matchesKeyCheck,
  newDbKey,
  readRawKeyFile,
  readStoreKeyFile,
  unwrapWithPassphrase,
  writeStoreKeyFile,
  type SlotsFile,
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
  if (file.protection === 'passphrase' && 'passphrase' in secret) return unlockWithPassphrase(file, secret.passphrase, dataDir, keyPath);
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

type PassphraseKeyFile = Extract<StoreKeyFile, { protection: 'passphrase' }>;
type StoreMatch = Extract<SlotMatch, { kind: 'store' }>;

/**
 * The passphrase's key slot (key-slots.ts): WRONG_PASSPHRASE (nothing written) when it opens none.
 * Otherwise both slots are resealed and the file rewritten, whichever slot opened: the store's
 * gives its database key; the duress slot first replaces the database by an empty store and gives
 * that store's key, and the real key is in no slot any more (docs/sdk.md "Duress passphrase").
 */
async function unlockWithPassphrase(file: PassphraseKeyFile, passphrase: string, dataDir: string, keyPath: string): Promise<Buffer> {
  const slots = await currentSlots(file, passphrase, dataDir, keyPath);
  const m = await openSlots(slots, passphrase);
  if (m === undefined) throw new WrongPassphraseError(dataDir);
  try {
    if (m.kind === 'store') {
      rewriteSlots(keyPath, resealAfterUnlock(slots, m), 'unlock');
      return Buffer.from(m.dbKey);
    }
    const decoyKey = newDbKey();
    try {
      replaceWithEmptyStore(dataDir, decoyKey);
      rewriteSlots(keyPath, resealAfterDuress(slots, m, decoyKey), 'duress');
    } catch (err) {
      decoyKey.fill(0);
      throw asDiskFull(err, dataDir);
    }
    return decoyKey;
  } finally {
    releaseMatch(m);
  }
}

/** Test hook: counts key-slot file writes, so a test can show both unlocks write it the same number of times. */
export const slotWrites = { count: 0 };

/**
 * Writes resealed slots. After a normal unlock a full disk is not fatal: the old file is intact and
 * still opens, so the unlock goes on without the fresh IVs.
 */
function rewriteSlots(keyPath: string, slots: SlotsFile, why: 'unlock' | 'duress' | 'change'): void {
  slotWrites.count++;
  try {
    writeStoreKeyFile(keyPath, slots);
  } catch (err) {
    rmSync(`${keyPath}.tmp`, { force: true });
    if (why === 'unlock' && isDiskFull(err)) return;
    throw err;
  }
}

/**
 * The file as two key slots. A version 1 file (one wrapped key) is opened the old way and rewritten
 * as version 2 (a new salt, the current scrypt defaults) first; WRONG_PASSPHRASE writes nothing.
 */
async function currentSlots(file: PassphraseKeyFile, passphrase: string, dataDir: string, keyPath: string): Promise<SlotsFile> {
  if (file.version === 2) {
    if (!slotsWellFormed(file)) throw new StoreCorruptError(keyPath, 'the wrapped-key file has fields of the wrong size');
    return file;
  }
  const dbKey = await unwrapWithPassphrase(file, passphrase, dataDir, keyPath);
  try {
    const slots = await newSlots(dbKey, passphrase);
    writeStoreKeyFile(keyPath, slots);
    return slots;
  } finally {
    dbKey.fill(0);
  }
}

/** The store's slot opened by `passphrase` for a change; the duress passphrase is refused here like a wrong one. */
async function storeSlot(dataDir: string, passphrase: string): Promise<{ keyPath: string; slots: SlotsFile; m: StoreMatch }> {
  const keyPath = join(dataDir, STORE_KEY_FILE_NAME);
  const file = readStoreKeyFile(keyPath);
  if (file?.protection !== 'passphrase') throw new NotPassphraseProtectedError(dataDir, file?.protection ?? 'none');
  const slots = await currentSlots(file, passphrase, dataDir, keyPath);
  const m = await openSlots(slots, passphrase);
  if (m?.kind !== 'store') {
    releaseMatch(m);
    throw new WrongPassphraseError(dataDir);
  }
  return { keyPath, slots, m };
}

async function changeSlots(dataDir: string, passphrase: string, change: (slots: SlotsFile, m: StoreMatch) => Promise<SlotsFile>): Promise<void> {
  const { keyPath, slots, m } = await storeSlot(dataDir, passphrase);
  try {
    rewriteSlots(keyPath, await change(slots, m), 'change');
  } catch (err) {
    // The old key file was never touched.
    throw isDiskFull(err) ? new DiskFullError(dataDir, { cause: err }) : err;
  } finally {
    releaseMatch(m);
  }
}

const same = (a: string, b: string) => a.normalize('NFC') === b.normalize('NFC');

/**
 * Sets (or replaces) the duress passphrase: `passphrase` must open the store's slot
 * (WRONG_PASSPHRASE) and the two must differ (PASSPHRASE_CONFLICT). Only the key file is rewritten.
 */
export async function setStoreDuressPassphrase(dataDir: string, passphrase: string, duressPassphrase: string): Promise<void> {
  if (duressPassphrase.length === 0) throw new RangeError('the duress passphrase is empty');
  if (same(passphrase, duressPassphrase)) throw new PassphraseConflictError(dataDir);
  await changeSlots(dataDir, passphrase, (slots, m) => withDuressSlot(slots, m, duressPassphrase));
}

/** Removes the duress passphrase (its slot becomes filler); `passphrase` must be the store's. */
export async function clearStoreDuressPassphrase(dataDir: string, passphrase: string): Promise<void> {
  await changeSlots(dataDir, passphrase, (slots, m) => Promise.resolve(withoutDuressSlot(slots, m)));
}

async function newKey(secret: StoreSecret): Promise<{ dbKey: Buffer; record: StoreKeyFile }> {
  if ('keyFile' in secret) {
    const dbKey = readRawKeyFile(secret.keyFile);
    return { dbKey, record: keyFileRecord(dbKey) };
  }
  const dbKey = newDbKey();
  return { dbKey, record: await newSlots(dbKey, secret.passphrase) };
}

/**
 * Rewraps the database key under a new passphrase (a fresh salt; the database itself is untouched),
 * keeping a duress passphrase if one is set; PASSPHRASE_CONFLICT if the new one is the duress one.
 * The new file replaces the old one by an fsynced rename, so a crash leaves one of the two
 * passphrases working, never neither.
 */
export async function changeStorePassphrase(dataDir: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
  if (newPassphrase.length === 0) throw new RangeError('the new passphrase is empty');
  await changeSlots(dataDir, oldPassphrase, async (slots, m) => {
    if (await opensDuressSlot(slots, m, newPassphrase)) throw new PassphraseConflictError(dataDir);
    return rekeyStoreSlot(slots, m, newPassphrase);
  });
}
