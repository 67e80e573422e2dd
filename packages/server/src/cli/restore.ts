import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DATABASE_FILE } from '../context.js';
import { loadOrCreateRelayKeys, RELAY_KEYS_FILE } from '../relay-keys.js';
import { DatabaseFileError } from '../ports/operator.js';
import type { RelayCounts } from '../ports/storage.js';
import { decodeBackupHeader, MAX_HEADER_BYTES, type BackupHeader } from './backup-format.js';
import { counting, hashFile, type Progress } from './backup.js';
import { acquireDataLock } from './data-lock.js';
import { explainDatabaseError, firstLine, operatorStorage, STATE_FILES } from './data-files.js';
import { CliError } from './errors.js';
import { words } from './words.js';
import { trustRootFingerprint } from './fingerprint.js';

export interface RestoreResult {
  dataDir: string;
  createdAt: string;
  counts: RelayCounts;
  trustRootSha256Hex: string;
  replaced: boolean;
}

const STAGING_PREFIX = '.restore-';

/** How `rename` is done; a test swaps in one that fails part-way, to prove the roll-back. */
export type RenameFn = (from: string, to: string) => void;

/**
 * Restores a backup into `dataDir`. Refuses while a relay holds the data folder's lock, and over
 * existing data unless `force`. Everything is checked in a staging folder inside `dataDir` first
 * (length, SHA-256, SQLite integrity_check, relay keys, schema not newer than this code); only then
 * are the state files swapped in by renames, rolled back if one fails. A failed restore leaves the
 * data folder as it was.
 */
export async function restoreBackup(options: { dataDir: string; file: string; force: boolean; progress?: Progress; rename?: RenameFn }): Promise<RestoreResult> {
  const { dataDir, force, progress } = options;
  const rename = options.rename ?? renameSync;
  const file = resolve(options.file);
  const { header, offset } = readHeader(file);

  const createdDir = !existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let staging: string | undefined;
  let lock: { release(): void } | undefined;
  let done = false;
  try {
    lock = acquireDataLock(dataDir, words('relay.restore.busy', { dir: dataDir }));
    // Left by a restore that was killed: we hold the lock, so no restore is running now.
    for (const name of readdirSync(dataDir)) if (name.startsWith(STAGING_PREFIX)) rmSync(join(dataDir, name), { recursive: true, force: true });
    const existing = STATE_FILES.filter((name) => existsSync(join(dataDir, name)));
    if (existing.length > 0 && !force) {
      throw CliError.of('relay.restore.hasData', { dir: dataDir, files: existing.join(', ') });
    }

    staging = join(dataDir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
    mkdirSync(staging, { mode: 0o700 });
    const stagedDb = join(staging, DATABASE_FILE);
    const out = createWriteStream(stagedDb, { mode: 0o600, flags: 'wx' });
    const total = header.database.bytes;
    await pipeline(createReadStream(file, { start: offset }), counting(total, (n) => progress?.('reading the backup', n, total)), out);
    const size = statSync(stagedDb).size;
    if (size !== total) {
      throw CliError.of('relay.restore.short', { file, size: String(size), total: String(total) });
    }
    if ((await hashFile(stagedDb)) !== header.database.sha256) {
      throw CliError.of('relay.restore.checksum', { file });
    }

    writeFileSync(join(staging, RELAY_KEYS_FILE), `${JSON.stringify(header.relayKeys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    let fingerprintHex: string;
    try {
      const fingerprint = trustRootFingerprint(loadOrCreateRelayKeys(staging).keys.trustRoot);
      if (fingerprint.sha256Base64url !== header.trustRootSha256) throw new Error('the keys do not match the trust root named in the header');
      fingerprintHex = fingerprint.sha256Hex;
    } catch (err) {
      throw CliError.of('relay.restore.badKeys', { file, reason: firstLine(err) });
    }

    const counts = checkDatabase(stagedDb, file);
    syncFile(stagedDb);
    swapIn(dataDir, staging, rename);
    done = true;
    return { dataDir, createdAt: header.createdAt, counts, trustRootSha256Hex: fingerprintHex, replaced: existing.length > 0 };
  } finally {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
    lock?.release();
    if (!done && createdDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function readHeader(file: string): { header: BackupHeader; offset: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') throw CliError.of('relay.restore.notFound', { file });
    if (code === 'EISDIR') throw CliError.of('relay.restore.isFolder', { file });
    throw err;
  }
  try {
    if (statSync(file).isDirectory()) throw CliError.of('relay.restore.isFolder', { file });
    const start = Buffer.alloc(MAX_HEADER_BYTES);
    const n = readSync(fd, start, 0, start.length, 0);
    const decoded = decodeBackupHeader(start.subarray(0, n));
    if ('problem' in decoded) {
      if (decoded.problem === 'newer-format') throw CliError.of('relay.restore.newerFormat', { file });
      if (decoded.problem === 'unreadable-header') throw CliError.of('relay.restore.badHeader', { file });
      throw CliError.of('relay.restore.notBackup', { file });
    }
    const expected = decoded.offset + decoded.header.database.bytes;
    const size = statSync(file).size;
    if (size !== expected) {
      throw CliError.of(size < expected ? 'relay.restore.truncated' : 'relay.restore.wrongSize', { file, size: String(size), expected: String(expected) });
    }
    return decoded;
  } finally {
    closeSync(fd);
  }
}

/** integrity_check, "is a relay database", and a schema this code can run (not from a newer version). */
function checkDatabase(path: string, file: string): RelayCounts {
  try {
    return operatorStorage.checkCopy(path, Date.now());
  } catch (err) {
    if (!(err instanceof DatabaseFileError)) throw err;
    if (err.problem === 'unreadable') throw CliError.of('relay.restore.unreadable', { file, reason: firstLine(err.cause ?? err) });
    if (err.problem === 'failed-integrity-check') throw CliError.of('relay.restore.integrity', { file, detail: err.detail });
    if (err.problem === 'newer-schema') throw CliError.of('relay.restore.newerSchema', { file });
    throw explainDatabaseError(err, file, words('relay.upgrade.thenRestore'));
  }
}

/**
 * Moves the current state files aside, then the staged ones in. If any rename fails, every rename
 * done so far is undone in reverse, so the folder holds either the old state or the new one.
 */
function swapIn(dataDir: string, staging: string, rename: RenameFn): void {
  const previous = join(staging, 'previous');
  mkdirSync(previous, { mode: 0o700 });
  const done: [string, string][] = [];
  const move = (from: string, to: string) => {
    rename(from, to);
    done.push([from, to]);
  };
  try {
    for (const name of STATE_FILES) if (existsSync(join(dataDir, name))) move(join(dataDir, name), join(previous, name));
    move(join(staging, DATABASE_FILE), join(dataDir, DATABASE_FILE));
    move(join(staging, RELAY_KEYS_FILE), join(dataDir, RELAY_KEYS_FILE));
  } catch (err) {
    for (const [from, to] of done.reverse()) renameSync(to, from);
    throw err;
  }
  syncFile(dataDir);
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
