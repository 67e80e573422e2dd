import { describe, expect, test } from 'vitest';
import type { RegistrationTokenRecord } from '../../src/ports/tokens.js';
import type { CurrentBackend } from './fixtures.js';

const hash = (c: string) => c.repeat(64);
const byHash = (records: RegistrationTokenRecord[]) => [...records].sort((a, z) => a.hash.localeCompare(z.hash));

export function tokensContract(backend: CurrentBackend): void {
  describe('registration tokens', () => {
    test('an issued token is listed with its uses and expiry', () => {
      const b = backend();
      const records = [
        { hash: hash('a'), usesLeft: 1, expiresAt: 2_000 },
        { hash: hash('b'), usesLeft: 5, expiresAt: 1_000 },
      ];
      b.transaction(() => records.forEach((r) => b.tokens.insert(r)));
      expect(byHash(b.tokens.list())).toEqual(records);
    });

    test('a single-use token is consumed once, then gone', () => {
      const b = backend();
      b.transaction(() => b.tokens.insert({ hash: hash('a'), usesLeft: 1, expiresAt: 2_000 }));
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(true);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(false);
      expect(b.tokens.list()).toEqual([]);
    });

    test('a multi-use token counts down and goes with its last use', () => {
      const b = backend();
      b.transaction(() => b.tokens.insert({ hash: hash('a'), usesLeft: 3, expiresAt: 2_000 }));
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(true);
      expect(b.tokens.list()).toEqual([{ hash: hash('a'), usesLeft: 2, expiresAt: 2_000 }]);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(true);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(true);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(false);
      expect(b.tokens.list()).toEqual([]);
    });

    test('an unknown or expired token is not consumed; expiry is at `expiresAt`', () => {
      const b = backend();
      b.transaction(() => b.tokens.insert({ hash: hash('a'), usesLeft: 2, expiresAt: 2_000 }));
      expect(b.transaction(() => b.tokens.consume(hash('f'), 1_000))).toBe(false);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 2_000))).toBe(false);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 3_000))).toBe(false);
      expect(b.tokens.list()).toEqual([{ hash: hash('a'), usesLeft: 2, expiresAt: 2_000 }]);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_999))).toBe(true);
    });

    test('findByPrefix finds the tokens whose hash starts with the prefix', () => {
      const b = backend();
      const [ab, ac, bb] = [`ab${'0'.repeat(62)}`, `ac${'0'.repeat(62)}`, `bb${'0'.repeat(62)}`];
      b.transaction(() => [ab, ac, bb].forEach((h) => b.tokens.insert({ hash: h, usesLeft: 1, expiresAt: 2_000 })));
      expect(b.tokens.findByPrefix('ab').map((r) => r.hash)).toEqual([ab]);
      expect(byHash(b.tokens.findByPrefix('a')).map((r) => r.hash)).toEqual([ab, ac]);
      expect(b.tokens.findByPrefix('c')).toEqual([]);
      expect(b.tokens.findByPrefix(ab)).toEqual([{ hash: ab, usesLeft: 1, expiresAt: 2_000 }]);
    });

    test('a revoked token is gone and cannot be consumed; revoking it again reports nothing to revoke', () => {
      const b = backend();
      b.transaction(() => {
        b.tokens.insert({ hash: hash('a'), usesLeft: 1, expiresAt: 2_000 });
        b.tokens.insert({ hash: hash('b'), usesLeft: 1, expiresAt: 2_000 });
      });
      expect(b.transaction(() => b.tokens.delete(hash('a')))).toBe(true);
      expect(b.transaction(() => b.tokens.delete(hash('a')))).toBe(false);
      expect(b.transaction(() => b.tokens.consume(hash('a'), 1_000))).toBe(false);
      expect(b.tokens.list().map((r) => r.hash)).toEqual([hash('b')]);
    });

    test('deleteExpired removes the tokens expired at `now` and counts them', () => {
      const b = backend();
      b.transaction(() => {
        b.tokens.insert({ hash: hash('a'), usesLeft: 1, expiresAt: 1_000 });
        b.tokens.insert({ hash: hash('b'), usesLeft: 1, expiresAt: 2_000 });
        b.tokens.insert({ hash: hash('c'), usesLeft: 1, expiresAt: 3_000 });
      });
      expect(b.transaction(() => b.tokens.deleteExpired(2_000))).toBe(2);
      expect(b.tokens.list().map((r) => r.hash)).toEqual([hash('c')]);
      expect(b.transaction(() => b.tokens.deleteExpired(2_000))).toBe(0);
    });
  });
}
