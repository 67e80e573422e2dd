import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../context.js';
import { loadOrCreateRelayKeys, RELAY_KEYS_FILE, type RelayKeys } from '../relay-keys.js';
import { CliError } from './errors.js';

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

/** Opens an existing relay database read-only (never creates or migrates one). */
export function openExistingDatabase(dataDir: string): Database.Database {
  const path = join(dataDir, DATABASE_FILE);
  if (!existsSync(path)) throw new CliError(`no relay data in ${dataDir} — ${dataDirHint}`);
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    assertRelayDatabase(db, path);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Fails unless `db` looks like an Aviso relay database (not some other SQLite file). */
export function assertRelayDatabase(db: Database.Database, path: string): void {
  let tables: string[];
  try {
    tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new CliError(`${path} is damaged or not a database — restore it from a backup`);
    throw err;
  }
  if (!tables.includes('accounts') || !tables.includes('messages')) throw new CliError(`${path} is not an Aviso relay database`);
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

export function firstLine(err: unknown): string {
  const issues = (err as { issues?: unknown } | null)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    const issue = issues[0] as { path?: unknown[]; message?: unknown };
    return `${(issue.path ?? []).join('.') || 'file'}: ${String(issue.message)}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n').find((l) => l.trim() !== '') ?? message).trim().slice(0, 200);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
