import type { MaybePromise } from './maybe-promise.js';

export interface AccountRecord {
  id: string;
  identityKey: Uint8Array;
  createdDay: number;
  /** zkgroup auth credential salt (32 bytes). */
  authCredentialSalt: Uint8Array;
}

export interface DeviceRecord {
  accountId: string;
  deviceId: number;
  registrationId: number;
  authSalt: Uint8Array;
  authHash: Uint8Array;
  lastSeenDay: number;
}

/** What a sender needs to address a device: its id and current registration id. */
export interface DeviceAddress {
  deviceId: number;
  registrationId: number;
}

/** Accounts and their devices. */
export interface AccountsStore {
  /** Creates the account with its first device; fails if the account exists. */
  create(account: AccountRecord, device: DeviceRecord): MaybePromise<void>;
  identityKey(accountId: string): MaybePromise<Uint8Array | undefined>;
  /** The account's auth credential salt; null for accounts created before groups (see `setAuthCredentialSaltIfMissing`). */
  authCredentialSalt(accountId: string): MaybePromise<Uint8Array | null | undefined>;
  /** Gives an older account its salt; a salt already set is never replaced. */
  setAuthCredentialSaltIfMissing(accountId: string, salt: Uint8Array): MaybePromise<void>;
  device(accountId: string, deviceId: number): MaybePromise<DeviceRecord | undefined>;
  /** The account's devices in id order (empty for an unknown account). Callers must not modify the list. */
  devices(accountId: string): MaybePromise<readonly DeviceAddress[]>;
  /** `devices` for many accounts, in the order given (an unknown account gets an empty list). */
  devicesOfMany(accountIds: readonly string[]): MaybePromise<(readonly DeviceAddress[])[]>;
  /** Records that the device was seen on `day`. */
  touchLastSeen(accountId: string, deviceId: number, day: number): MaybePromise<void>;
  /** Adds to the device's count of envelopes dropped from its full queue. */
  addDropped(accountId: string, deviceId: number, count: number): MaybePromise<void>;
  /** Returns the dropped-envelope count and resets it to zero (call inside a transaction). */
  takeDropped(accountId: string, deviceId: number): MaybePromise<number>;
}
