import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, fsyncSync, openSync, closeSync, readFileSync, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { PROTOCOL_VERSION } from '@aviso/protocol';
import { RELAY_KEYS_FILE } from '../relay-keys.js';
import { relayCounts, type RelayCounts } from '../storage/sqlite/stats.js';
import { encodeBackupHeader, BACKUP_FORMAT_VERSION, type BackupHeader } from './backup-format.js';
import { assertRelayDatabase, loadExistingKeys, openExistingDatabase } from './data-files.js';
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

/** Pages copied per step: small enough to report progress, large enough to be quick. */
const PAGES_PER_STEP = 1024;

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
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new CliError(`folder ${folder} does not exist — create it or choose another backup file`);
    if (existsSync(file)) {
      if (statSync(file).isDirectory()) throw new CliError(`${file} is a folder — give a file name for the backup`);
      if (!force) throw new CliError(`${file} already exists — choose another name or pass --force to replace it`);
    }
    tmpDb = join(folder, `.${basename(file)}.${process.pid}.sqlite.tmp`);
    tmpOut = join(folder, `.${basename(file)}.${process.pid}.tmp`);
    // Created owner-only before SQLite writes to it: the copy holds the whole relay database.
    closeSync(openSync(tmpDb, 'w', 0o600));

    // One read transaction for the whole copy: every step reads the same snapshot, so writes that the
    // running relay commits meanwhile neither restart the backup nor leak half into it.
    source.exec('BEGIN');
    source.prepare('SELECT count(*) FROM sqlite_master').get();
    const pageSize = source.pragma('page_size', { simple: true }) as number;
    await source.backup(tmpDb, {
      progress: ({ totalPages, remainingPages }) => {
        progress?.('copying the database', (totalPages - remainingPages) * pageSize, totalPages * pageSize);
        return PAGES_PER_STEP;
      },
    });
    source.exec('COMMIT');

    const copy = new Database(tmpDb, { timeout: 5000 });
    let counts: RelayCounts;
    try {
      // The copy keeps the WAL flag of its source; a plain rollback-journal file restores cleanly anywhere.
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('integrity_check') as { integrity_check: string }[];
      if (check.length !== 1 || check[0]?.integrity_check !== 'ok') {
        throw new CliError(`the relay database failed its integrity check (${check[0]?.integrity_check ?? 'no result'}) — no backup was written; stop the relay and restore an older backup`);
      }
      assertRelayDatabase(copy, tmpDb);
      counts = relayCounts(drizzle(copy), now.getTime());
    } finally {
      copy.close();
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
    if (source.inTransaction) source.exec('ROLLBACK');
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
