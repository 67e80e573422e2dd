import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { StorageBackend } from '../../src/ports/storage.js';
import { accountsContract } from './accounts.js';
import { countsContract } from './counts.js';
import { registerDevice, type KnownGap, type OpenBackend } from './fixtures.js';
import { groupsContract } from './groups.js';
import { messageQueueContract } from './message-queue.js';
import { prekeysContract } from './prekeys.js';
import { tokensContract } from './tokens.js';
import { transactorContract } from './transactor.js';

export type { KnownGap, OpenBackend } from './fixtures.js';

export interface ContractOptions {
  /** Clauses this backend is known to break (each one a reported bug to fix, not a licence). */
  knownGaps?: readonly KnownGap[];
}

/**
 * What every storage backend must do, observed through the ports only: a second backend passes this
 * before a service is bound to it. `open` gives a fresh, empty backend per test (it is closed after).
 * The bundle's stores are `Synchronous<Port>` today (see ports/maybe-promise.ts), so the contract
 * calls them without awaiting; when a port goes async, its part of the contract awaits.
 */
export function describeStorageContract(name: string, open: OpenBackend, options: ContractOptions = {}): void {
  describe(`storage contract: ${name}`, () => {
    let current: StorageBackend | undefined;
    beforeEach(async () => {
      current = await open();
    });
    afterEach(() => {
      current?.close();
      current = undefined;
    });
    const backend = (): StorageBackend => {
      if (current === undefined) throw new Error('no backend open outside a test');
      return current;
    };

    accountsContract(backend);
    prekeysContract(backend);
    tokensContract(backend);
    groupsContract(backend);
    messageQueueContract(backend, options.knownGaps ?? []);
    transactorContract(backend, options.knownGaps ?? []);
    countsContract(backend);

    test('close is idempotent, and a checkpoint after it has nothing to do (not "busy": that asks for a retry)', () => {
      const b = backend();
      registerDevice(b);
      expect(['done', 'idle', 'busy']).toContain(b.checkpoint());
      b.close();
      expect(() => b.close()).not.toThrow();
      expect(b.checkpoint()).toBe('idle');
    });
  });
}
