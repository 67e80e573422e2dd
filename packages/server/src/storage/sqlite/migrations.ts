import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

// Resolved from this module so it works from src/ (tsx, vitest) and dist/ alike: both sit one level below the package.
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle', import.meta.url));

/** One migration of drizzle's journal: `when` is its creation time, which drizzle records once applied. */
export interface JournalEntry {
  tag: string;
  when: number;
}

let journal: readonly JournalEntry[] | undefined;

/** This build's migrations, oldest first. */
export function migrationJournal(): readonly JournalEntry[] {
  journal ??= (JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: JournalEntry[] }).entries;
  return journal;
}

/** The creation time of this build's newest migration (drizzle's journal): the schema this code runs. */
export function knownSchemaVersion(): number {
  return Math.max(...migrationJournal().map((e) => e.when));
}

/**
 * The schema as operators count it: how many migrations a database has had (this build's own is the
 * number in its journal). A database with more comes from newer code, which the refusal names.
 */
export interface SchemaLevel {
  /** Migrations recorded in the database. */
  database: number;
  /** Migrations this build knows. */
  known: number;
}

/** Creation times of the migrations the database has had (empty for a new database). */
export function appliedMigrations(sqlite: Database.Database): number[] {
  const table = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (table === undefined) return [];
  return (sqlite.prepare('SELECT created_at AS at FROM __drizzle_migrations ORDER BY created_at').all() as { at: number }[]).map((r) => Number(r.at));
}

/** The database's schema level next to this build's. */
export function schemaLevel(sqlite: Database.Database): SchemaLevel {
  return { database: appliedMigrations(sqlite).length, known: migrationJournal().length };
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
