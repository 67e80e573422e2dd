import type { StorageBackend } from '../../ports/storage.js';
import { AccountsRepository } from './accounts.js';
import { openStorage } from './db.js';
import { GroupsRepository } from './groups.js';
import { MessagesRepository } from './messages.js';
import { PreKeysRepository } from './prekeys.js';
import { relayCounts } from './stats.js';
import { TokensRepository } from './tokens.js';

/** Every SQLite store on the database at `path` (created and migrated as the relay does): one backend bundle. */
export function openSqliteBackend(path: string): StorageBackend {
  const storage = openStorage(path);
  return {
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
