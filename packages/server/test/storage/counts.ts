import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { registerDevice, u8, type CurrentBackend } from './fixtures.js';

export function countsContract(backend: CurrentBackend): void {
  describe('relay totals', () => {
    test('an empty backend counts nothing', async () => {
      expect(await backend().counts(0)).toEqual({ accounts: 0, devices: 0, groups: 0, queuedEnvelopes: 0, liveRegistrationTokens: 0 });
    });

    test('totals follow what is stored; only unexpired tokens count as live', async () => {
      const b = backend();
      const [x] = [registerDevice(b), registerDevice(b)];
      b.transaction(() => {
        b.groups.insert({ id: randomUUID(), publicParams: u8(1), version: 0, attributes: u8(2), membersCanInvite: false });
        b.messages.insert({ guid: randomUUID(), ...x, receivedAt: 1, expiresAt: 10_000, content: u8(1) });
        b.tokens.insert({ hash: 'a'.repeat(64), usesLeft: 1, expiresAt: 1_000 });
        b.tokens.insert({ hash: 'b'.repeat(64), usesLeft: 1, expiresAt: 3_000 });
      });
      expect(await b.counts(2_000)).toEqual({ accounts: 2, devices: 2, groups: 1, queuedEnvelopes: 1, liveRegistrationTokens: 1 });
    });
  });
}
