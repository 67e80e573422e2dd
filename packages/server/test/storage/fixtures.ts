import { randomUUID } from 'node:crypto';
import { test } from 'vitest';
import type { AccountRecord, DeviceRecord } from '../../src/ports/accounts.js';
import type { DeviceKey } from '../../src/ports/prekeys.js';
import type { StorageBackend } from '../../src/ports/storage.js';

/** Opens a fresh, empty backend for one test; the suite closes it afterwards. */
export type OpenBackend = () => Promise<StorageBackend> | StorageBackend;

/** The backend of the running test, set by the suite's `beforeEach`. */
export type CurrentBackend = () => StorageBackend;

/** Bytes as a plain array: backends may hand back Buffers, Uint8Arrays or their own views. */
export const bytes = (b: Uint8Array | null | undefined): number[] | null | undefined => (b === null || b === undefined ? b : [...b]);

export const u8 = (...values: number[]): Uint8Array => new Uint8Array(values);

export function accountRecord(id: string = randomUUID(), overrides: Partial<AccountRecord> = {}): AccountRecord {
  return { id, identityKey: u8(5, 1, 2, 3), createdDay: 20_000, authCredentialSalt: new Uint8Array(32).fill(7), ...overrides };
}

export function deviceRecord(accountId: string, overrides: Partial<DeviceRecord> = {}): DeviceRecord {
  return { accountId, deviceId: 1, registrationId: 4242, authSalt: u8(1, 1), authHash: u8(2, 2), lastSeenDay: 20_000, ...overrides };
}

/**
 * A registered account with its first device, for the stores that keep per-device data (a backend
 * may require the device to exist, as SQLite's foreign keys do).
 */
export function registerDevice(b: StorageBackend, deviceId = 1): DeviceKey {
  const accountId = randomUUID();
  b.transaction(() => b.accounts.create(accountRecord(accountId), deviceRecord(accountId, { deviceId })));
  return { accountId, deviceId };
}

/**
 * Contract clauses a backend is known to break today, named so the suite says which. Its test then
 * runs as an expected failure (`test.fails`) for that backend only: the suite stays green, and the
 * day the backend is fixed the test fails until the gap is taken off its list.
 */
export type KnownGap =
  | 'device lists read in a rolled-back transaction are remembered'
  | 'queue lengths count rows skipped by insertMany skipExisting';

/** `test`, or `test.fails` when the backend under test declares `gap`. */
export function knownGap(gaps: readonly KnownGap[], gap: KnownGap): typeof test | typeof test.fails {
  return gaps.includes(gap) ? test.fails : test;
}
