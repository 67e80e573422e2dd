import { describe, expect, test } from 'vitest';
import type { StoredPreKey, StoredSignedPreKey } from '../../src/ports/prekeys.js';
import { bytes, registerDevice, u8, type CurrentBackend } from './fixtures.js';

const ec = (keyId: number, tag = keyId): StoredPreKey => ({ keyId, publicKey: u8(5, tag) });
const kyber = (keyId: number, tag = keyId): StoredSignedPreKey => ({ keyId, publicKey: u8(8, tag), signature: u8(9, tag) });
const plain = (k: StoredPreKey | StoredSignedPreKey | undefined) =>
  k && { keyId: k.keyId, publicKey: bytes(k.publicKey), ...('signature' in k ? { signature: bytes(k.signature) } : {}) };

export function prekeysContract(backend: CurrentBackend): void {
  describe('prekeys', () => {
    test('a device without keys has none of any kind', () => {
      const b = backend();
      const d = registerDevice(b);
      expect(b.prekeys.signedPreKey(d)).toBeUndefined();
      expect(b.prekeys.lastResort(d)).toBeUndefined();
      expect(b.prekeys.counts(d)).toEqual({ ec: 0, kyber: 0 });
      expect(b.transaction(() => b.prekeys.popEcPreKey(d))).toBeUndefined();
      expect(b.transaction(() => b.prekeys.popKyberPreKey(d))).toBeUndefined();
    });

    test('the signed prekey and the last-resort key are one per device, and a new one replaces the old', () => {
      const b = backend();
      const d = registerDevice(b);
      b.transaction(() => {
        b.prekeys.setSignedPreKey(d, kyber(1, 1));
        b.prekeys.setLastResort(d, kyber(2, 2));
      });
      expect(plain(b.prekeys.signedPreKey(d))).toEqual(plain(kyber(1, 1)));
      expect(plain(b.prekeys.lastResort(d))).toEqual(plain(kyber(2, 2)));
      b.transaction(() => {
        b.prekeys.setSignedPreKey(d, kyber(3, 3));
        b.prekeys.setLastResort(d, kyber(4, 4));
      });
      expect(plain(b.prekeys.signedPreKey(d))).toEqual(plain(kyber(3, 3)));
      expect(plain(b.prekeys.lastResort(d))).toEqual(plain(kyber(4, 4)));
    });

    test('one-time EC prekeys are taken oldest first, each exactly once', () => {
      const b = backend();
      const d = registerDevice(b);
      b.transaction(() => b.prekeys.addEcPreKeys(d, [ec(10), ec(11), ec(12)], 100));
      expect(b.prekeys.counts(d)).toEqual({ ec: 3, kyber: 0 });
      const taken = [1, 2, 3, 4].map(() => plain(b.transaction(() => b.prekeys.popEcPreKey(d))));
      expect(taken).toEqual([plain(ec(10)), plain(ec(11)), plain(ec(12)), undefined]);
      expect(b.prekeys.counts(d)).toEqual({ ec: 0, kyber: 0 });
    });

    test('one-time Kyber prekeys are taken once each, and the last-resort key stays when they run out', () => {
      const b = backend();
      const d = registerDevice(b);
      b.transaction(() => {
        b.prekeys.setSignedPreKey(d, kyber(1));
        b.prekeys.setLastResort(d, kyber(2));
        b.prekeys.addKyberPreKeys(d, [kyber(20), kyber(21)], 100);
      });
      expect(b.prekeys.counts(d)).toEqual({ ec: 0, kyber: 2 });
      const taken = [1, 2, 3].map(() => plain(b.transaction(() => b.prekeys.popKyberPreKey(d))));
      expect(taken).toEqual([plain(kyber(20)), plain(kyber(21)), undefined]);
      // Taken again and again: the last resort and the signed prekey are never used up.
      for (let i = 0; i < 3; i++) expect(plain(b.prekeys.lastResort(d))).toEqual(plain(kyber(2)));
      expect(plain(b.prekeys.signedPreKey(d))).toEqual(plain(kyber(1)));
    });

    test('uploading a key id again replaces that key instead of adding one', () => {
      const b = backend();
      const d = registerDevice(b);
      b.transaction(() => {
        b.prekeys.addEcPreKeys(d, [ec(1, 1), ec(2, 2)], 100);
        b.prekeys.addKyberPreKeys(d, [kyber(1, 1)], 100);
      });
      b.transaction(() => {
        b.prekeys.addEcPreKeys(d, [ec(1, 99)], 100);
        b.prekeys.addKyberPreKeys(d, [kyber(1, 99)], 100);
      });
      expect(b.prekeys.counts(d)).toEqual({ ec: 2, kyber: 1 });
      const ecTaken = [1, 2].map(() => plain(b.transaction(() => b.prekeys.popEcPreKey(d))));
      expect(ecTaken).toContainEqual(plain(ec(1, 99)));
      expect(ecTaken).toContainEqual(plain(ec(2, 2)));
      expect(plain(b.transaction(() => b.prekeys.popKyberPreKey(d)))).toEqual(plain(kyber(1, 99)));
    });

    test('an upload keeps only the newest `keep` one-time keys', () => {
      const b = backend();
      const d = registerDevice(b);
      b.transaction(() => b.prekeys.addEcPreKeys(d, [ec(1), ec(2), ec(3)], 100));
      b.transaction(() => {
        b.prekeys.addEcPreKeys(d, [ec(4), ec(5)], 3);
        b.prekeys.addKyberPreKeys(d, [kyber(1), kyber(2), kyber(3)], 2);
      });
      expect(b.prekeys.counts(d)).toEqual({ ec: 3, kyber: 2 });
      const ecTaken = [1, 2, 3].map(() => b.transaction(() => b.prekeys.popEcPreKey(d))?.keyId);
      expect(ecTaken).toEqual([3, 4, 5]);
      const kyberTaken = [1, 2].map(() => b.transaction(() => b.prekeys.popKyberPreKey(d))?.keyId);
      expect(kyberTaken).toEqual([2, 3]);
    });

    test('each device has its own keys', () => {
      const b = backend();
      const [x, y] = [registerDevice(b), registerDevice(b)];
      b.transaction(() => {
        b.prekeys.addEcPreKeys(x, [ec(1)], 100);
        b.prekeys.addEcPreKeys(y, [ec(1, 50), ec(2, 51)], 100);
        b.prekeys.setSignedPreKey(x, kyber(7));
      });
      expect(b.prekeys.counts(x)).toEqual({ ec: 1, kyber: 0 });
      expect(b.prekeys.counts(y)).toEqual({ ec: 2, kyber: 0 });
      expect(plain(b.transaction(() => b.prekeys.popEcPreKey(x)))).toEqual(plain(ec(1)));
      expect(b.prekeys.counts(y)).toEqual({ ec: 2, kyber: 0 });
      expect(b.prekeys.signedPreKey(y)).toBeUndefined();
      // An upload's `keep` trims only the uploading device.
      b.transaction(() => b.prekeys.addEcPreKeys(x, [ec(3)], 1));
      expect(b.prekeys.counts(y)).toEqual({ ec: 2, kyber: 0 });
    });
  });
}
