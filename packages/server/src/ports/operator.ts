import type { RelayCounts } from './storage.js';

/**
 * Why the operator's storage refused a database file. The operator CLI turns each into its own
 * sentence (cli/data-files.ts `explainDatabaseError`); the storage layer knows no CLI wording.
 * - `unreadable`: opening it, or SQLite's first read of it, failed (`cause` says how)
 * - `not-a-database`: SQLite says the file is damaged or no database at all
 * - `not-a-relay-database`: a database, but not one of a relay's
 * - `newer-schema`: written by a newer relay (migrations this build does not know): reading or
 *   running it with this code could misread it or break it
 * - `failed-integrity-check`: SQLite's integrity check found damage (`detail` holds its first line)
 */
export type DatabaseProblem = 'unreadable' | 'not-a-database' | 'not-a-relay-database' | 'newer-schema' | 'failed-integrity-check';

export class DatabaseFileError extends Error {
  override name = 'DatabaseFileError';
  /**
   * For `newer-schema`, where the backend counted them: how many migrations the database has had and
   * how many this build knows, so the refusal can say which version the database needs.
   */
  readonly schema: { database: number; known: number } | undefined;
  constructor(
    readonly problem: DatabaseProblem,
    readonly path: string,
    readonly detail = '',
    options?: { cause?: unknown; schema?: { database: number; known: number } },
  ) {
    super(`${path}: ${problem}${detail === '' ? '' : ` (${detail})`}`, options);
    this.schema = options?.schema;
  }
}

/** How far a snapshot copy has come, in bytes. */
export type CopyProgress = (doneBytes: number, totalBytes: number) => void;

/**
 * A relay's database opened for the operator, possibly while `serve` runs in another process: it
 * reads, and never creates, migrates or writes the database.
 */
export interface ReadOnlyRelayDatabase {
  counts(now: number): RelayCounts;
  /**
   * Copies one consistent snapshot of the whole database into `file` (an existing, empty file the
   * caller created with the mode it wants): the relay's writes meanwhile go on, and none of them
   * lands half in the copy.
   */
  copyTo(file: string, progress?: CopyProgress): Promise<void>;
  /** Idempotent. */
  close(): void;
}

/**
 * What `aviso-relay info`, `backup` and `restore` need from a storage backend, besides the
 * `StorageBackend` that `serve` runs on. Every refusal is a `DatabaseFileError`.
 */
export interface OperatorStorage {
  /**
   * Opens the existing database at `path` read-only. Refuses a file that is no relay database, or
   * one whose schema is newer than this build's.
   */
  openReadOnly(path: string): ReadOnlyRelayDatabase;
  /**
   * Checks a standalone copy (a snapshot just taken, or a backup's database being restored) before it
   * is moved: turns it into a single file (no WAL beside it), runs the integrity check, and refuses a
   * file that is no relay database or has a newer schema. Writes only `path`. Returns its totals.
   */
  checkCopy(path: string, now: number): RelayCounts;
}
