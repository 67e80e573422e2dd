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
  /** Totals, as `aviso-relay info` reports them (it reads them through ports/operator.ts). */
  counts(now: number): MaybePromise<RelayCounts>;
  /**
   * Makes deleted data unreadable in the backend's files where it can (SQLite: copies the WAL into
   * the database and truncates it), without waiting for readers in other processes: `done`, `idle`
   * if there was nothing to do (also once closed), `busy` if a reader or an open transaction kept it
   * from completing (retry later). The relay calls it at start and on an interval.
   */
  checkpoint(): 'done' | 'idle' | 'busy';
  /**
   * Does what `checkpoint` does, waiting a while for readers this time, then closes. Idempotent.
   * Synchronous, like `checkpoint`, because `AppContext.close` is: a backend that must await its
   * connection's end would make that (and its callers) async first.
   */
  close(): void;
}
