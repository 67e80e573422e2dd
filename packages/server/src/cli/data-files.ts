import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE } from '../context.js';
import { DatabaseFileError, type ReadOnlyRelayDatabase } from '../ports/operator.js';
import { sqliteOperatorStorage } from '../storage/sqlite/backend.js';
import { loadOrCreateRelayKeys, RELAY_KEYS_FILE, type RelayKeys } from '../relay-keys.js';
import { CliError } from './errors.js';
import { firstLine } from './text.js';
import { words, type Words } from './words.js';

export { firstLine, formatBytes } from './text.js';

/** The files that make up a relay's state; `restore` replaces exactly these. */
export const STATE_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, RELAY_KEYS_FILE] as const;

/** No data folder (or no database in it) at `dir`: the operator points the CLI at the right one. */
export const noRelayData = (dir: string): CliError => CliError.of('relay.data.none', { dir });

/** How the sentence for a newer database ends: what the operator does about it. */
export const UPGRADE_TO_USE = words('relay.upgrade.use');

/** Loads the relay keys of an existing data folder without ever creating new ones. */
export function loadExistingKeys(dataDir: string): RelayKeys {
  const path = join(dataDir, RELAY_KEYS_FILE);
  if (!existsSync(path)) {
    throw CliError.of('relay.data.keysMissing', { path });
  }
  try {
    return loadOrCreateRelayKeys(dataDir).keys;
  } catch (err) {
    throw CliError.of('relay.data.keysDamaged', { path, reason: firstLine(err) });
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
  if (!existsSync(path)) throw noRelayData(dataDir);
  try {
    return operatorStorage.openReadOnly(path);
  } catch (err) {
    throw explainDatabaseError(err, path, UPGRADE_TO_USE);
  }
}

/**
 * The operator's sentence for a database the storage refused, naming `shown` (the file the operator
 * knows); `upgrade` ends the one for a newer schema. A failure to open or read the file at all stays
 * the system error it was (describeFailure explains those).
 */
export function explainDatabaseError(err: unknown, shown: string, upgrade: Words): unknown {
  if (!(err instanceof DatabaseFileError)) return err;
  switch (err.problem) {
    case 'not-a-database':
      return CliError.of('relay.db.notADatabase', { file: shown });
    case 'not-a-relay-database':
      return CliError.of('relay.db.notRelay', { file: shown });
    case 'newer-schema': {
      const level = err.schema;
      if (level === undefined) return CliError.of('relay.db.newer', { file: shown, upgrade });
      return CliError.of('relay.db.newerLevel', { file: shown, database: String(level.database), known: String(level.known), upgrade });
    }
    case 'failed-integrity-check':
      return CliError.of('relay.db.integrity', { file: shown, detail: err.detail });
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
