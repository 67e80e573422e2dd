import type { RelayCounts, StorageBackend } from '../../ports/storage.js';
import { AccountsRepository } from './accounts.js';
import { openStorage, type Db, type MigrationReport } from './db.js';
import { GroupsRepository } from './groups.js';
import { MessagesRepository } from './messages.js';
import { PreKeysRepository } from './prekeys.js';
import { relayCounts } from './stats.js';
import { TokensRepository } from './tokens.js';

// The SQLite back end's entry points: the relay's stores (`openSqliteBackend`, bound by context.ts),
// the operator's read-only open, snapshot and checks (`sqliteOperatorStorage`, for cli/), and the
// data folder's kernel lock. Nothing outside storage/sqlite imports better-sqlite3 or drizzle.
export { sqliteOperatorStorage } from './operator.js';
export { acquireFileLock, isFileLocked, type FileLock } from './file-lock.js';
export type { MigrationReport } from './db.js';

/**
 * The SQLite bundle: the ports' stores as their concrete repositories, plus the drizzle handle for
 * tests that look at rows directly (`ctx.storage.db.$client`). Services see only `StorageBackend`.
 */
export interface SqliteBackend extends StorageBackend {
  readonly db: Db;
  accounts: AccountsRepository;
  prekeys: PreKeysRepository;
  tokens: TokensRepository;
  groups: GroupsRepository;
  messages: MessagesRepository;
  counts(now: number): RelayCounts;
  /** The migrations this open applied, for the start-up log line. */
  readonly migrations: MigrationReport;
}

/** Every SQLite store on the database at `path` (created and migrated as the relay does): one backend bundle. */
export function openSqliteBackend(path: string): SqliteBackend {
  const storage = openStorage(path);
  return {
    db: storage.db,
    migrations: storage.migrations,
    accounts: new AccountsRepository(storage.db),
    prekeys: new PreKeysRepository(storage.db),
    tokens: new TokensRepository(storage.db),
    groups: new GroupsRepository(storage.db),
    messages: new MessagesRepository(storage.db),
    transaction: storage.transaction,
    counts: (now) => relayCounts(storage.db, now),
    checkpoint: storage.checkpoint,
    close: storage.close,
  };
}
