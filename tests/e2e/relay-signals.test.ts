import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort, isListening, NpmRelay } from '../support/npm-relay.js';

/**
 * Issue 14, "graceful stop through `npm start`": the relay as operators run it (npm → npm → node),
 * stopped the way a service manager, a container runtime or a terminal stops it. Before the fix,
 * `npm start`'s SIGTERM killed the `sh -c` between the two npm processes and left the relay serving.
 */

const relays: NpmRelay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.dispose();
});

async function startNpm(): Promise<{ relay: NpmRelay; port: number }> {
  const port = await freePort();
  const relay = await NpmRelay.start({ env: { AVISO_PORT: String(port) } });
  relays.push(relay);
  expect(await isListening(port)).toBe(true);
  return { relay, port };
}

/** What a clean stop leaves: the tree gone, the port free, the database closed with its WAL folded in. */
async function expectCleanStop(relay: NpmRelay, port: number): Promise<void> {
  const { code } = await relay.exited;
  expect(await relay.treeGone(), relay.log).toBe(true);
  expect(code, relay.log).toBe(0);
  expect(await isListening(port)).toBe(false);
  expect(relay.log).toContain('relay stopped cleanly');
  expect(relay.log).not.toContain('second signal');
  // SQLite removes the WAL file when the last connection closes after a full checkpoint.
  expect(existsSync(join(relay.dataDir, 'aviso.sqlite'))).toBe(true);
  expect(existsSync(join(relay.dataDir, 'aviso.sqlite-wal'))).toBe(false);
}

describe('npm start stops cleanly on a signal to the npm process', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} to npm start`, { timeout: 180_000 }, async () => {
      const { relay, port } = await startNpm();
      expect(existsSync(join(relay.dataDir, 'aviso.sqlite-wal'))).toBe(true); // open: the WAL is there
      process.kill(relay.pid, signal);
      await expectCleanStop(relay, port);
    });
  }

  test('Ctrl-C in a terminal (SIGINT to the whole process group, echoed by each npm) is one clean stop', { timeout: 180_000 }, async () => {
    const { relay, port } = await startNpm();
    process.kill(-relay.pid, 'SIGINT');
    await expectCleanStop(relay, port);
  });
});
