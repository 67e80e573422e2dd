import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, fsyncSync, openSync, closeSync, readFileSync, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PROTOCOL_VERSION } from '@aviso/protocol';
import { RELAY_KEYS_FILE } from '../relay-keys.js';
import { DatabaseFileError } from '../ports/operator.js';
import type { RelayCounts } from '../ports/storage.js';
import { encodeBackupHeader, BACKUP_FORMAT_VERSION, type BackupHeader } from './backup-format.js';
import { explainDatabaseError, loadExistingKeys, openExistingDatabase, operatorStorage, UPGRADE_TO_USE } from './data-files.js';
import { CliError } from './errors.js';
import { trustRootFingerprint } from './fingerprint.js';

/** `done` of `total` bytes of one step; called often, the caller decides what to print. */
export type Progress = (step: 'copying the database' | 'writing the backup file' | 'reading the backup', done: number, total: number) => void;

export interface BackupResult {
  file: string;
  bytes: number;
  counts: RelayCounts;
  trustRootSha256Hex: string;
}

/**
 * Writes a consistent backup of a relay's data folder to `file`, also while `serve` runs in another
 * process: the copy reads one snapshot (a read transaction held for the whole SQLite online backup,
 * which WAL lets writers continue past), then it is integrity-checked, then written with mode 0600
 * via a temporary file and a rename, so `file` is either the complete backup or untouched.
 */
export async function createBackup(options: { dataDir: string; file: string; force: boolean; now: Date; progress?: Progress }): Promise<BackupResult> {
  const { dataDir, force, now, progress } = options;
  const file = resolve(options.file);
  const source = openExistingDatabase(dataDir);
  let tmpDb: string | undefined;
  let tmpOut: string | undefined;
  try {
    const keys = loadExistingKeys(dataDir);
    const keysFile = JSON.parse(readFileSync(join(dataDir, RELAY_KEYS_FILE), 'utf8')) as Record<string, unknown>;
    const folder = dirname(file);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw CliError.of('relay.backup.noFolder', { folder });
    if (existsSync(file)) {
      if (statSync(file).isDirectory()) throw CliError.of('relay.backup.isFolder', { file });
      if (!force) throw CliError.of('relay.backup.exists', { file });
    }
    tmpDb = join(folder, `.${basename(file)}.${process.pid}.sqlite.tmp`);
    tmpOut = join(folder, `.${basename(file)}.${process.pid}.tmp`);
    // Created owner-only before SQLite writes to it: the copy holds the whole relay database.
    closeSync(openSync(tmpDb, 'w', 0o600));

    // One snapshot, taken while the relay keeps writing (ports/operator.ts `copyTo`).
    await source.copyTo(tmpDb, (done, total) => progress?.('copying the database', done, total));
    let counts: RelayCounts;
    try {
      counts = operatorStorage.checkCopy(tmpDb, now.getTime());
    } catch (err) {
      if (err instanceof DatabaseFileError && err.problem === 'failed-integrity-check') {
        throw CliError.of('relay.backup.integrity', { detail: err.detail });
      }
      throw explainDatabaseError(err, tmpDb, UPGRADE_TO_USE);
    }

    const bytes = statSync(tmpDb).size;
    const sha256 = await hashFile(tmpDb);
    const fingerprint = trustRootFingerprint(keys.trustRoot);
    const header: BackupHeader = {
      format: 'aviso-relay-backup',
      version: BACKUP_FORMAT_VERSION,
      createdAt: now.toISOString(),
      protocolVersion: PROTOCOL_VERSION,
      trustRootSha256: fingerprint.sha256Base64url,
      relayKeys: keysFile,
      database: { bytes, sha256 },
    };
    const out = createWriteStream(tmpOut, { mode: 0o600, flags: 'wx' });
    out.write(encodeBackupHeader(header));
    await pipeline(createReadStream(tmpDb), counting(bytes, (done) => progress?.('writing the backup file', done, bytes)), out);
    const fd = openSync(tmpOut, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmpOut, 0o600);
    renameSync(tmpOut, file);
    tmpOut = undefined;
    return { file, bytes: statSync(file).size, counts, trustRootSha256Hex: fingerprint.sha256Hex };
  } finally {
    source.close();
    for (const tmp of [tmpDb, tmpOut]) if (tmp !== undefined) rmSync(tmp, { force: true });
    if (tmpDb !== undefined) for (const suffix of ['-journal', '-wal', '-shm']) rmSync(tmpDb + suffix, { force: true });
  }
}

export async function hashFile(path: string, start = 0): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { start })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A pass-through that reports how many bytes went by. */
export function counting(total: number, report: (done: number) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      report(Math.min(done, total));
      cb(null, chunk);
    },
  });
}
