import type { MaybePromise } from './maybe-promise.js';

export interface DeviceKey {
  accountId: string;
  deviceId: number;
}

export interface StoredPreKey {
  keyId: number;
  publicKey: Uint8Array;
}

export interface StoredSignedPreKey extends StoredPreKey {
  signature: Uint8Array;
}

/** A device's prekeys: one signed EC prekey, one Kyber last resort, and one-time EC and Kyber prekeys. */
export interface PreKeysStore {
  setSignedPreKey(d: DeviceKey, key: StoredSignedPreKey): MaybePromise<void>;
  setLastResort(d: DeviceKey, key: StoredSignedPreKey): MaybePromise<void>;
  signedPreKey(d: DeviceKey): MaybePromise<StoredSignedPreKey | undefined>;
  lastResort(d: DeviceKey): MaybePromise<StoredSignedPreKey | undefined>;
  /** Adds one-time EC prekeys (a re-used key id replaces the old key), then keeps only the newest `keep`. */
  addEcPreKeys(d: DeviceKey, keys: readonly StoredPreKey[], keep: number): MaybePromise<void>;
  /** The same for one-time Kyber prekeys. */
  addKyberPreKeys(d: DeviceKey, keys: readonly StoredSignedPreKey[], keep: number): MaybePromise<void>;
  counts(d: DeviceKey): MaybePromise<{ ec: number; kyber: number }>;
  /** Removes and returns the oldest one-time EC prekey, if any (call inside a transaction). */
  popEcPreKey(d: DeviceKey): MaybePromise<StoredPreKey | undefined>;
  /** Removes and returns the oldest one-time Kyber prekey, if any (call inside a transaction). */
  popKyberPreKey(d: DeviceKey): MaybePromise<StoredSignedPreKey | undefined>;
}
