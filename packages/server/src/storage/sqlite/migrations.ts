import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

// Resolved from this module so it works from src/ (tsx, vitest) and dist/ alike: both sit one level below the package.
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle', import.meta.url));

let known: number | undefined;

/** The creation time of this build's newest migration (drizzle's journal): the schema this code runs. */
export function knownSchemaVersion(): number {
  known ??= Math.max(...(JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: { when: number }[] }).entries.map((e) => e.when));
  return known;
}

/**
 * True if the database holds a migration newer than any this build knows: drizzle records each
 * applied migration's creation time, and skips (does not refuse) a database that is ahead of it.
 */
export function isNewerSchema(sqlite: Database.Database): boolean {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (table === undefined) return false;
  const applied = (sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as { at: number | null }).at ?? 0;
  return applied > knownSchemaVersion();
}
