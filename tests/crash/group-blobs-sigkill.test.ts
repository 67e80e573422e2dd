import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteStore } from '@aviso/client';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/relay.js';
import { scale } from '../support/scale.js';

/**
 * A group's verified state and its members' blob rows (stores/member-blobs.ts) are written in one
 * transaction: a device killed with SIGKILL in the middle of such commits must reopen with a state
 * and rows from the same commit, never a new state over old rows or the reverse.
 */

const WORKER = ['--conditions=@aviso/source', '--import', 'tsx', 'tests/crash/group-blobs-worker.ts'];
const GROUP = 'b'.repeat(64);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the worker until its first commit, lets it commit for `ms` more, then SIGKILLs it. */
async function runAndKill(dataDir: string, ms: number): Promise<void> {
  const child = spawn(process.execPath, [...WORKER, dataDir, GROUP], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before its first commit`)));
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGKILL');
  await exited;
}

describe('group state and member blobs under SIGKILL', () => {
  test('every reopen finds the state and its blob rows of one and the same commit', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviso-crash-blobs-'));
    dirs.push(dataDir);
    let last = 0;
    for (let round = 0; round < scale(2, 20); round++) {
      // A kill at a different point of a commit each round.
      await runAndKill(dataDir, 150 + Math.floor(Math.random() * 400));
      const store = SqliteStore.open(dataDir);
      try {
        const state = store.getGroup(GROUP)!.state;
        expect(state.version).toBeGreaterThan(last);
        last = state.version;
        const rows = store.getGroupBlobs(GROUP);
        expect([...rows.keys()].sort()).toEqual(Object.keys(state.members).sort());
        for (const b of rows.values()) expect(b).toEqual({ profile: `profile-v${state.version}`, proof: `proof-v${state.version}` });
      } finally {
        store.close();
      }
    }
  });
});
