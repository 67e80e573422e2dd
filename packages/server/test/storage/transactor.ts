import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { StorageBackend } from '../../src/ports/storage.js';
import { accountRecord, deviceRecord, knownGap, registerDevice, u8, type CurrentBackend, type KnownGap } from './fixtures.js';

const TOKEN = 'e'.repeat(64);

/** One write to every store, for a transaction to keep or undo. */
function writeEverywhere(b: StorageBackend, accountId: string, groupId: string): void {
  b.accounts.create(accountRecord(accountId), deviceRecord(accountId));
  const d = { accountId, deviceId: 1 };
  b.prekeys.addEcPreKeys(d, [{ keyId: 1, publicKey: u8(5) }], 100);
  b.prekeys.setLastResort(d, { keyId: 2, publicKey: u8(8), signature: u8(9) });
  b.tokens.insert({ hash: TOKEN, usesLeft: 1, expiresAt: 10_000 });
  b.groups.insert({ id: groupId, publicParams: u8(1), version: 0, attributes: u8(2), membersCanInvite: false });
  b.groups.putMember(groupId, 'alice-ct', 'admin', undefined, u8(3), undefined);
  b.groups.appendChange(groupId, { version: 1, body: 'c1', receivedAt: 1 });
  b.messages.insert({ guid: randomUUID(), accountId, deviceId: 1, receivedAt: 1, expiresAt: 10_000, content: u8(1) });
}

function expectNothingOf(b: StorageBackend, accountId: string, groupId: string): void {
  const d = { accountId, deviceId: 1 };
  expect(b.accounts.identityKey(accountId)).toBeUndefined();
  expect(b.accounts.device(accountId, 1)).toBeUndefined();
  expect(b.accounts.devices(accountId)).toEqual([]);
  expect(b.accounts.devicesOfMany([accountId])).toEqual([[]]);
  expect(b.prekeys.counts(d)).toEqual({ ec: 0, kyber: 0 });
  expect(b.prekeys.lastResort(d)).toBeUndefined();
  expect(b.tokens.list()).toEqual([]);
  expect(b.groups.get(groupId)).toBeUndefined();
  expect(b.groups.memberCount(groupId)).toBe(0);
  expect(b.groups.change(groupId, 1)).toBeUndefined();
  expect(b.messages.fetchAfter(d, 0, 10, 0)).toEqual([]);
  expect(b.messages.count(d)).toBe(0);
}

export function transactorContract(backend: CurrentBackend, gaps: readonly KnownGap[]): void {
  describe('transactions', () => {
    test('a transaction returns what its function returns, and commits every store together', () => {
      const b = backend();
      const [accountId, groupId] = [randomUUID(), randomUUID()];
      expect(b.transaction(() => (writeEverywhere(b, accountId, groupId), 42))).toBe(42);
      expect(b.accounts.devices(accountId)).toEqual([{ deviceId: 1, registrationId: 4242 }]);
      expect(b.prekeys.counts({ accountId, deviceId: 1 })).toEqual({ ec: 1, kyber: 0 });
      expect(b.tokens.list()).toHaveLength(1);
      expect(b.groups.memberCount(groupId)).toBe(1);
      expect(b.messages.count({ accountId, deviceId: 1 })).toBe(1);
    });

    test('a throw inside a transaction leaves nothing behind in any store', () => {
      const b = backend();
      const [accountId, groupId] = [randomUUID(), randomUUID()];
      expect(() =>
        b.transaction(() => {
          writeEverywhere(b, accountId, groupId);
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      b.messages.forgetCounts(); // what the port asks of a caller whose transaction rolled back
      expectNothingOf(b, accountId, groupId);
    });

    // A backend may remember what it read (device lists, queue lengths); a rollback must not leave
    // phantoms there. Queue lengths are forgotten on the caller's `forgetCounts`; device lists have no
    // such call, so the store itself must not keep what a rolled-back transaction showed it.
    knownGap(gaps, 'device lists read in a rolled-back transaction are remembered')('device lists read inside a rolled-back transaction are not remembered after it', () => {
      const b = backend();
      const [accountId, groupId] = [randomUUID(), randomUUID()];
      expect(() =>
        b.transaction(() => {
          writeEverywhere(b, accountId, groupId);
          b.accounts.devices(accountId);
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      b.messages.forgetCounts();
      expect(b.accounts.devices(accountId)).toEqual([]);
      expect(b.accounts.devicesOfMany([accountId])).toEqual([[]]);
    });

    test('queue lengths read inside a rolled-back transaction are gone after forgetCounts', () => {
      const b = backend();
      const d = registerDevice(b);
      b.transaction(() => b.messages.insert({ guid: randomUUID(), ...d, receivedAt: 1, expiresAt: 10_000, content: u8(1) }));
      expect(() =>
        b.transaction(() => {
          b.messages.count(d);
          b.messages.queueLengths([d]);
          b.messages.insert({ guid: randomUUID(), ...d, receivedAt: 1, expiresAt: 10_000, content: u8(2) });
          expect(b.messages.count(d)).toBe(2);
          throw new Error('rolled back');
        }),
      ).toThrow('rolled back');
      b.messages.forgetCounts();
      expect(b.messages.count(d)).toBe(1);
      expect(b.transaction(() => b.messages.queueLengths([d]))).toEqual([1]);
    });

    test('a relaxed transaction commits and rolls back like any other', () => {
      const b = backend();
      const d = registerDevice(b);
      const id = b.transaction(() => b.messages.insert({ guid: randomUUID(), ...d, receivedAt: 1, expiresAt: 10_000, content: u8(1) }), { relaxed: true });
      expect(() =>
        b.transaction(
          () => {
            b.messages.deleteAcknowledged([{ ...d, id }]);
            throw new Error('rolled back');
          },
          { relaxed: true },
        ),
      ).toThrow('rolled back');
      b.messages.forgetCounts();
      expect(b.messages.fetchAfter(d, 0, 10, 0).map((m) => m.id)).toEqual([id]);
      b.transaction(() => b.messages.deleteAcknowledged([{ ...d, id }]), { relaxed: true });
      expect(b.messages.count(d)).toBe(0);
    });

    test('a nested transaction that throws is rolled back alone', () => {
      const b = backend();
      const [kept, dropped] = ['a'.repeat(64), 'b'.repeat(64)];
      b.transaction(() => {
        b.tokens.insert({ hash: kept, usesLeft: 1, expiresAt: 10_000 });
        expect(() =>
          b.transaction(() => {
            b.tokens.insert({ hash: dropped, usesLeft: 1, expiresAt: 10_000 });
            throw new Error('inner');
          }),
        ).toThrow('inner');
      });
      expect(b.tokens.list().map((t) => t.hash)).toEqual([kept]);
    });
  });
}
