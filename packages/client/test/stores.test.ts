import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { MemoryStore, SqliteStore } from '../src/stores/index.js';
import { describeStoreContract } from './stores/contract.js';

describeStoreContract('memory', { make: () => new MemoryStore() });

const dirs: string[] = [];
const dirOf = new WeakMap<object, string>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeStoreContract('sqlite', {
  make: () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-client-store-'));
    dirs.push(dir);
    const store = SqliteStore.open(dir);
    dirOf.set(store, dir);
    return store;
  },
  reopen: (previous) => {
    previous.close();
    return SqliteStore.open(dirOf.get(previous)!);
  },
});
