import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUILT_AVISO, BUILT_RELAY, ensureBuilt, heavyIn, runBuilt } from '../support/built-cli.js';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';

// The command lines start fast because a start loads only what the command needs (issue 14): the
// catalog of names, help and flags, never the SDK (libsignal, SQLite), zod or the relay's storage
// until a command's code runs. These tests hold that line by listing what each process loaded;
// timing it is the benchmark's job (`pnpm bench -- --only cli`).

let dir: string;
const modules = () => join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'aviso-cli-startup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what a start of the built command lines loads', () => {
  test('aviso --help, a command\'s --help, --version and usage errors load no SDK, storage or schema', async () => {
    const env = { AVISO_HOME: join(dir, 'home') };
    const help = await runBuilt(BUILT_AVISO, ['--help'], { env, listModules: modules() });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: aviso <command>/);
    expect(help.modules.length).toBeGreaterThan(5); // the list works: it names our own modules
    expect(heavyIn(help.modules)).toEqual([]);
    // The catalog is read, but help says no plural: the ICU formatter is not even loaded.
    expect(help.modules.some((m) => m.includes('/@aviso/i18n/') || m.includes('/i18n/dist/'))).toBe(true);
    expect(help.modules.filter((m) => m.includes('intl-messageformat') || m.includes('@formatjs'))).toEqual([]);

    const alertHelp = await runBuilt(BUILT_AVISO, ['alert', '--help'], { env, listModules: modules() });
    expect(alertHelp.code).toBe(0);
    expect(alertHelp.stdout).toContain('--kind KIND          raid | checkpoint | sighting | patrol | other');
    expect(heavyIn(alertHelp.modules)).toEqual([]);

    const version = await runBuilt(BUILT_AVISO, ['--version'], { env, listModules: modules() });
    expect(version.stdout).toMatch(/^aviso \d+\.\d+\.\d+ \(protocol \d+\)\n$/);
    expect(heavyIn(version.modules)).toEqual([]);
    const versionJson = await runBuilt(BUILT_AVISO, ['--version', '--json'], { env });
    expect(JSON.parse(versionJson.stdout)).toMatchObject({ type: 'version', protocol: 2 });

    const usage = await runBuilt(BUILT_AVISO, ['alert'], { env, listModules: modules() });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^aviso: `aviso alert` is missing arguments/);
    expect(heavyIn(usage.modules)).toEqual([]);
    expect(usage.modules.filter((m) => m.includes('intl-messageformat'))).toEqual([]);
  });

  test('aviso-relay --help and --version load no storage, zod, libsignal or web server', async () => {
    const help = await runBuilt(BUILT_RELAY, ['--help'], { listModules: modules() });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--version');
    expect(heavyIn(help.modules)).toEqual([]);
    const version = await runBuilt(BUILT_RELAY, ['--version'], { listModules: modules() });
    expect(version.stdout).toMatch(/^aviso-relay \d+\.\d+\.\d+ \(protocol \d+\)\n$/);
    expect(heavyIn(version.modules)).toEqual([]);
  });

  test('a command for a profile that a listen holds is handed over without loading the SDK', { timeout: 600_000 }, async () => {
    const home = join(dir, 'handover');
    const env = { AVISO_HOME: home };
    const relay = await RelayProcess.start();
    try {
      const token = await relay.createToken();
      expect((await runBuilt(BUILT_AVISO, ['register', relay.url, token, '--name', 'Rosa'], { env })).code).toBe(0);
      const created = await runBuilt(BUILT_AVISO, ['group', 'create', 'Eastside'], { env });
      expect(created.code).toBe(0);
      const listen = spawn(process.execPath, [BUILT_AVISO, 'listen', '--json'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        await new Promise<void>((resolve, reject) => {
          let out = '';
          listen.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            if (out.includes('"type":"ready"')) resolve();
          });
          listen.once('exit', (code) => reject(new Error(`listen exited (${code}) before ready`)));
        });
        const alert = await runBuilt(BUILT_AVISO, ['alert', 'Eastside', '--kind', 'raid', '--severity', 'critical', '--title', 'Agents at the car wash', '--place', '5th and Main'], { env, listModules: modules() });
        expect(alert.stderr).toBe('');
        expect(alert.code).toBe(0);
        expect(alert.stdout).toMatch(/^[0-9a-f-]{36}\n$/);
        expect(heavyIn(alert.modules)).toEqual([]);
        // An error inside the listening process comes back with its status, still without the SDK here.
        const bad = await runBuilt(BUILT_AVISO, ['alert', 'Nowhere', '--kind', 'raid', '--severity', 'critical', '--title', 't', '--place', 'p'], { env, listModules: modules() });
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/^aviso: .*Nowhere/);
        expect(heavyIn(bad.modules)).toEqual([]);
      } finally {
        listen.kill('SIGINT');
        await new Promise((r) => listen.once('exit', r));
      }
    } finally {
      await relay.dispose();
    }
  });
});
