/**
 * `aviso app` and `aviso listen` on one profile, as real processes on one AVISO_HOME against a real
 * relay: never two AvisoClients on one folder. The app takes the profile from a running listen
 * (listen says so and exits 0); a listen started while the app holds it stops with PROFILE_BUSY.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AppProcess, buildApp } from '../support/app-process.js';
import { BackgroundAviso, runAviso } from '../support/cli-process.js';
import { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
const home = mkdtempSync(join(tmpdir(), 'aviso-handover-'));
const running: Array<{ dispose(): Promise<unknown> }> = [];

beforeAll(async () => {
  await buildApp();
  relay = await RelayProcess.start();
  const registered = await runAviso(home, ['register', relay.url, await relay.createToken(), '--name', 'Rosa']);
  expect(registered.code, registered.stderr).toBe(0);
  expect((await runAviso(home, ['group', 'create', 'Eastside'])).code).toBe(0);
});

afterAll(async () => {
  for (const r of running.reverse()) await r.dispose().catch(() => undefined);
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
});

const exited = (p: BackgroundAviso) => (p.child.exitCode !== null ? Promise.resolve(p.child.exitCode) : new Promise<number | null>((r) => p.child.once('exit', (code) => r(code))));

function listen(args: string[]): BackgroundAviso {
  const p = new BackgroundAviso(home, ['listen', ...args]);
  running.push({ dispose: () => p.interrupt() });
  return p;
}

async function app(): Promise<AppProcess> {
  const a = await AppProcess.start([], home);
  running.push(a);
  return a;
}

async function groupsVia(a: AppProcess): Promise<unknown> {
  const cookie = await a.session();
  const res = await fetch(`${a.origin}/api/groups`, { headers: { Cookie: cookie } });
  expect(res.status).toBe(200);
  return res.json();
}

describe('aviso app and aviso listen on one profile', () => {
  test('a running listen hands the profile over to the app: one line, exit 0, and the app has the profile', { timeout: 180_000 }, async () => {
    const listener = listen(['--json']);
    await listener.waitFor(/"type":"ready"/, 'ready');
    const a = await app();
    expect(await exited(listener)).toBe(0);
    const lines = listener.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.slice(-2)).toEqual([{ type: 'handed-over', to: 'app' }, { type: 'closed' }]);
    expect(await groupsVia(a)).toEqual([expect.objectContaining({ title: 'Eastside', status: 'member' })]);

    // While the app holds the profile, a new listen stops at once, naming the app.
    const late = await runAviso(home, ['listen']);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/profile "default" is in use by `aviso app` \(pid \d+\) — stop it first/);
    expect(await a.stop()).toBe(0);
  });

  test('on a terminal-less listen the handover is one plain line; listen runs again once the app stops', { timeout: 180_000 }, async () => {
    const listener = listen([]);
    await listener.waitFor(/listening \(caught up\)/, 'ready');
    const a = await app();
    expect(await exited(listener)).toBe(0);
    expect(listener.stdout.trim().split('\n').at(-1)).toBe('aviso listen: the Aviso app took over profile "default"; it shows the same alerts. Stopping here.');
    expect(await a.stop()).toBe(0);
    const again = listen(['--json']);
    await again.waitFor(/"type":"ready"/, 'ready after the app stopped');
    expect(await again.interrupt()).toBe(0);
  });

  test('only listen hands over: a second app on a profile the app holds gets PROFILE_BUSY', { timeout: 120_000 }, async () => {
    const a = await app();
    await expect(AppProcess.start([], home)).rejects.toThrow(/exited with 1[\s\S]*in use by `aviso app`/);
    expect(await a.stop()).toBe(0);
  });
});
