import type { MaybePromise } from './maybe-promise.js';

export interface RegistrationTokenRecord {
  /** Hex SHA-256 of the token; the token itself is never stored. */
  hash: string;
  usesLeft: number;
  expiresAt: number;
}

/** Registration tokens, by hash. */
export interface TokensStore {
  insert(record: RegistrationTokenRecord): MaybePromise<void>;
  /** Uses the token once if it exists, is unexpired and has uses left; drops it when used up. */
  consume(hash: string, now: number): MaybePromise<boolean>;
  list(): MaybePromise<RegistrationTokenRecord[]>;
  /** Hashes starting with `prefix` (lower-case hex). */
  findByPrefix(prefix: string): MaybePromise<RegistrationTokenRecord[]>;
  delete(hash: string): MaybePromise<boolean>;
  deleteExpired(now: number): MaybePromise<number>;
}
