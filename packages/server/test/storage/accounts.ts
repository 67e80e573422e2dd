import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { accountRecord, bytes, deviceRecord, u8, type CurrentBackend } from './fixtures.js';

export function accountsContract(backend: CurrentBackend): void {
  describe('accounts', () => {
    test('an account created with its first device reads back field for field', () => {
      const b = backend();
      const account = accountRecord(randomUUID(), { identityKey: u8(5, 9, 8), authCredentialSalt: new Uint8Array(32).fill(3) });
      const device = deviceRecord(account.id, { deviceId: 1, registrationId: 777, authSalt: u8(4, 4), authHash: u8(6, 6, 6), lastSeenDay: 20_100 });
      b.transaction(() => b.accounts.create(account, device));

      expect(bytes(b.accounts.identityKey(account.id))).toEqual([5, 9, 8]);
      expect(bytes(b.accounts.authCredentialSalt(account.id))).toEqual(new Array<number>(32).fill(3));
      const read = b.accounts.device(account.id, 1);
      expect(read && { ...read, authSalt: bytes(read.authSalt), authHash: bytes(read.authHash) }).toEqual({
        accountId: account.id,
        deviceId: 1,
        registrationId: 777,
        authSalt: [4, 4],
        authHash: [6, 6, 6],
        lastSeenDay: 20_100,
      });
      expect(b.accounts.devices(account.id)).toEqual([{ deviceId: 1, registrationId: 777 }]);
    });

    test('creating an account that exists fails and leaves the first one as it was', () => {
      const b = backend();
      const id = randomUUID();
      b.transaction(() => b.accounts.create(accountRecord(id, { identityKey: u8(5, 1) }), deviceRecord(id)));
      expect(() => b.transaction(() => b.accounts.create(accountRecord(id, { identityKey: u8(5, 2) }), deviceRecord(id, { deviceId: 2 })))).toThrow();
      expect(bytes(b.accounts.identityKey(id))).toEqual([5, 1]);
      expect(b.accounts.devices(id)).toEqual([{ deviceId: 1, registrationId: 4242 }]);
    });

    test('an unknown account or device reads as absent, and has no devices', () => {
      const b = backend();
      const id = randomUUID();
      expect(b.accounts.identityKey(id)).toBeUndefined();
      expect(b.accounts.authCredentialSalt(id)).toBeUndefined();
      expect(b.accounts.device(id, 1)).toBeUndefined();
      expect(b.accounts.devices(id)).toEqual([]);
      const known = randomUUID();
      b.transaction(() => b.accounts.create(accountRecord(known), deviceRecord(known)));
      expect(b.accounts.device(known, 2)).toBeUndefined();
    });

    test('devicesOfMany answers in the order asked, with an empty list for an unknown account', () => {
      const b = backend();
      const [x, y] = [randomUUID(), randomUUID()];
      b.transaction(() => {
        b.accounts.create(accountRecord(x), deviceRecord(x, { registrationId: 11 }));
        b.accounts.create(accountRecord(y), deviceRecord(y, { registrationId: 22 }));
      });
      // One of them read before, so a backend that remembers lists mixes remembered and fresh answers.
      expect(b.accounts.devices(y)).toEqual([{ deviceId: 1, registrationId: 22 }]);
      expect(b.accounts.devicesOfMany([y, randomUUID(), x, y])).toEqual([
        [{ deviceId: 1, registrationId: 22 }],
        [],
        [{ deviceId: 1, registrationId: 11 }],
        [{ deviceId: 1, registrationId: 22 }],
      ]);
      expect(b.accounts.devicesOfMany([])).toEqual([]);
    });

    test('an auth credential salt already set is never replaced', () => {
      const b = backend();
      const id = randomUUID();
      b.transaction(() => b.accounts.create(accountRecord(id, { authCredentialSalt: new Uint8Array(32).fill(1) }), deviceRecord(id)));
      b.transaction(() => b.accounts.setAuthCredentialSaltIfMissing(id, new Uint8Array(32).fill(2)));
      expect(bytes(b.accounts.authCredentialSalt(id))).toEqual(new Array<number>(32).fill(1));
    });

    test('touchLastSeen updates the device’s last-seen day, and only that device’s', () => {
      const b = backend();
      const [x, y] = [randomUUID(), randomUUID()];
      b.transaction(() => {
        b.accounts.create(accountRecord(x), deviceRecord(x, { lastSeenDay: 100 }));
        b.accounts.create(accountRecord(y), deviceRecord(y, { lastSeenDay: 100 }));
      });
      b.transaction(() => b.accounts.touchLastSeen(x, 1, 105));
      b.transaction(() => b.accounts.touchLastSeen(x, 1, 105)); // same day again: no change
      expect(b.accounts.device(x, 1)?.lastSeenDay).toBe(105);
      expect(b.accounts.device(y, 1)?.lastSeenDay).toBe(100);
    });

    test('dropped-envelope counts add up, and taking one returns it and resets it to zero', () => {
      const b = backend();
      const [x, y] = [randomUUID(), randomUUID()];
      b.transaction(() => {
        b.accounts.create(accountRecord(x), deviceRecord(x));
        b.accounts.create(accountRecord(y), deviceRecord(y));
      });
      expect(b.transaction(() => b.accounts.takeDropped(x, 1))).toBe(0);
      b.transaction(() => b.accounts.addDropped(x, 1, 2));
      b.transaction(() => b.accounts.addDropped(x, 1, 3));
      b.transaction(() => b.accounts.addDropped(y, 1, 1));
      expect(b.transaction(() => b.accounts.takeDropped(x, 1))).toBe(5);
      expect(b.transaction(() => b.accounts.takeDropped(x, 1))).toBe(0);
      expect(b.transaction(() => b.accounts.takeDropped(y, 1))).toBe(1);
      expect(b.transaction(() => b.accounts.takeDropped(randomUUID(), 1))).toBe(0);
    });
  });
}
