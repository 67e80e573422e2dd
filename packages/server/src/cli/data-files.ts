import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE } from '../context.js';
import { DatabaseFileError, type ReadOnlyRelayDatabase } from '../ports/operator.js';
import { sqliteOperatorStorage } from '../storage/sqlite/backend.js';
import { loadOrCreateRelayKeys, RELAY_KEYS_FILE, type RelayKeys } from '../relay-keys.js';
import { CliError } from './errors.js';
import { firstLine } from './text.js';

export { firstLine, formatBytes } from './text.js';

/** The files that make up a relay's state; `restore` replaces exactly these. */
export const STATE_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, RELAY_KEYS_FILE] as const;

export const dataDirHint = 'set AVISO_DATA_DIR or --data-dir to the relay\'s data folder';

/** Loads the relay keys of an existing data folder without ever creating new ones. */
export function loadExistingKeys(dataDir: string): RelayKeys {
  const path = join(dataDir, RELAY_KEYS_FILE);
  if (!existsSync(path)) {
    throw new CliError(`${path} is missing — restore it from a backup: without it members reject this relay`);
  }
  try {
    return loadOrCreateRelayKeys(dataDir).keys;
  } catch (err) {
    throw new CliError(`${path} is damaged (${firstLine(err)}) — restore it from a backup`);
  }
}

/** The operator's storage: what info, backup and restore read and check database files with. */
export const operatorStorage = sqliteOperatorStorage;

/**
 * Opens an existing relay database read-only: never creates, migrates or writes one, and refuses a
 * database from a newer aviso-relay.
 */
export function openExistingDatabase(dataDir: string): ReadOnlyRelayDatabase {
  const path = join(dataDir, DATABASE_FILE);
  if (!existsSync(path)) throw new CliError(`no relay data in ${dataDir} — ${dataDirHint}`);
  try {
    return operatorStorage.openReadOnly(path);
  } catch (err) {
    throw explainDatabaseError(err, path, 'upgrade Aviso to use it');
  }
}

/**
 * The operator's sentence for a database the storage refused, naming `shown` (the file the operator
 * knows); `upgrade` ends the one for a newer schema. A failure to open or read the file at all stays
 * the system error it was (describeFailure explains those).
 */
export function explainDatabaseError(err: unknown, shown: string, upgrade: string): unknown {
  if (!(err instanceof DatabaseFileError)) return err;
  switch (err.problem) {
    case 'not-a-database':
      return new CliError(`${shown} is damaged or not a database — restore it from a backup`);
    case 'not-a-relay-database':
      return new CliError(`${shown} is not an Aviso relay database`);
    case 'newer-schema': {
      const level = err.schema;
      if (level === undefined) return new CliError(`${shown} comes from a newer aviso-relay (newer database schema) — ${upgrade}`);
      return new CliError(
        `${shown} comes from a newer aviso-relay: it has database schema version ${level.database}, this aviso-relay knows versions up to ${level.known} — ` +
          `${upgrade} (an Aviso with schema version ${level.database} or later)`,
      );
    }
    case 'failed-integrity-check':
      return new CliError(`${shown} failed SQLite's integrity check (${err.detail}) — restore it from a backup`);
    case 'unreadable':
      return err.cause ?? err;
  }
}

/** Bytes taken by the regular files of a folder, recursively. */
export function diskUse(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += diskUse(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}
