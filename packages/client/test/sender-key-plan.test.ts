import { describe, expect, it } from 'vitest';
import { SENDER_KEY_MAX_AGE_MS } from '../src/crypto/sender-keys.js';
import { holdersAfterDistribution, lackingKey, sameHolders, senderKeyReset, withoutStale, type DeviceMap } from '../src/messaging/sender-key-plan.js';
import type { SenderKeyInfo } from '../src/stores/interfaces.js';

const NOW = 1_800_000_000_000;
const info = (devices: SenderKeyInfo['devices'], createdAt = NOW - 1000): SenderKeyInfo => ({ groupId: 'g', distributionId: 'd1', createdAt, devices });
const dev = (accountId: string, deviceId: number, registrationId: number) => ({ accountId, deviceId, registrationId });

describe('senderKeyReset', () => {
  const members = new Set(['alice', 'bob']);
  it('makes a first key and keeps a fresh one held by members only', () => {
    expect(senderKeyReset(undefined, members, NOW)).toBe('none');
    expect(senderKeyReset(info([dev('bob', 1, 7)]), members, NOW)).toBeUndefined();
  });
  it('replaces a key older than the limit, and one a former member holds', () => {
    expect(senderKeyReset(info([], NOW - SENDER_KEY_MAX_AGE_MS - 1), members, NOW)).toBe('age');
    expect(senderKeyReset(info([], NOW - SENDER_KEY_MAX_AGE_MS), members, NOW)).toBeUndefined();
    expect(senderKeyReset(info([dev('bob', 1, 7), dev('mallory', 1, 9)]), members, NOW)).toBe('member-left');
  });
});

describe('lackingKey', () => {
  const devices: DeviceMap = new Map([
    ['bob', [{ deviceId: 1, registrationId: 7 }]],
    ['carol', [{ deviceId: 1, registrationId: 8 }, { deviceId: 2, registrationId: 3 }]],
    ['dave', []],
  ]);
  it('names accounts with a device that does not hold the key', () => {
    expect(lackingKey(info([dev('bob', 1, 7), dev('carol', 1, 8)]), ['bob', 'carol', 'dave'], devices)).toEqual(['carol']);
  });
  it('counts a reinstalled device (same id, new registration id) as lacking', () => {
    expect(lackingKey(info([dev('bob', 1, 6)]), ['bob'], devices)).toEqual(['bob']);
  });
  it('does not name an account without sessions', () => {
    expect(lackingKey(info([]), ['dave'], devices)).toEqual([]);
  });
});

describe('holders', () => {
  it('replaces the holders of the accounts an SKDM went to by the devices it reached', () => {
    const before = info([dev('bob', 1, 7), dev('carol', 1, 8)]);
    expect(holdersAfterDistribution(before, ['carol'], [dev('carol', 2, 3)])).toEqual([dev('bob', 1, 7), dev('carol', 2, 3)]);
  });
  it('drops devices the relay reports stale', () => {
    expect(withoutStale(info([dev('bob', 1, 7), dev('bob', 2, 5)]), new Set(['bob.2'])).devices).toEqual([dev('bob', 1, 7)]);
  });
  it('compares holder sets regardless of order', () => {
    const a = info([dev('bob', 1, 7), dev('carol', 1, 8)]);
    expect(sameHolders(a, info([dev('carol', 1, 8), dev('bob', 1, 7)]))).toBe(true);
    expect(sameHolders(a, info([dev('carol', 1, 8), dev('bob', 1, 6)]))).toBe(false);
    expect(sameHolders(a, undefined)).toBe(false);
  });
});
