import type { AccountsStore } from './accounts.js';
import type { GroupsStore } from './groups.js';
import type { MessageQueue } from './message-queue.js';
import type { MaybePromise, Synchronous } from './maybe-promise.js';
import type { PreKeysStore } from './prekeys.js';
import type { TokensStore } from './tokens.js';
import type { Transactor } from './transactor.js';

/** How much the relay holds, as totals only: the operator's monitoring needs no ids. */
export interface RelayCounts {
  accounts: number;
  devices: number;
  groups: number;
  queuedEnvelopes: number;
  liveRegistrationTokens: number;
}

/** Every store of one backend, opened together on one database: what `context.ts` binds services to. */
export interface StorageBackend {
  accounts: Synchronous<AccountsStore>;
  prekeys: Synchronous<PreKeysStore>;
  tokens: Synchronous<TokensStore>;
  groups: Synchronous<GroupsStore>;
  messages: Synchronous<MessageQueue>;
  transaction: Transactor;
  /** Totals (`aviso-relay info`, backup and restore reports). */
  counts(now: number): MaybePromise<RelayCounts>;
  /**
   * Makes deleted data unreadable in the backend's files where it can (SQLite: truncates the WAL).
   * `idle` if there was nothing to do, `busy` if a reader kept it from completing (retry later).
   */
  checkpoint(): 'done' | 'idle' | 'busy';
  /** Flushes and closes. Idempotent. */
  close(): void;
}
