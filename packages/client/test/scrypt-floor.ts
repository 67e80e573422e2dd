import { afterAll, beforeAll } from 'vitest';
import { DEFAULT_SCRYPT, scryptDefaults } from '../src/stores/sqlite/store-key.js';

/**
 * scrypt at its floor (N=2^14) for the tests of this file, in this process only: what such tests
 * check is which key slots are derived, written and refused, not the KDF's cost (key files record
 * their parameters; `pnpm bench -- --only unlock` times the default). Child processes they start
 * run at the default cost.
 */
export function useScryptFloor(): void {
  beforeAll(() => {
    scryptDefaults.N = 2 ** 14;
  });
  afterAll(() => {
    scryptDefaults.N = DEFAULT_SCRYPT.N;
  });
}
