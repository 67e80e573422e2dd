import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AvisoClient, createKeyFile } from '@aviso/client';
import { CLI, type CliResult } from '../support/cli-process.js';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';

// `aviso passphrase set|change`, `--passphrase-file` / AVISO_PASSPHRASE_FILE and `aviso wipe`, as a
// user runs them: real CLI processes (no terminal), a real relay, real encrypted stores.

let home: string;
let relay: RelayProcess;
let secrets: string;

function aviso(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : null), stdout, stderr }));
  });
}

function passFile(name: string, text: string): string {
  const path = join(secrets, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** The error code a --json run printed (and its exit status). */
async function code(args: readonly string[], env: Record<string, string> = {}): Promise<[number | null, string | undefined]> {
  const r = await aviso([...args, '--json'], env);
  const line = r.stdout.split('\n').find((l) => l.includes('"type":"error"'));
  expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  return [r.code, line ? (JSON.parse(line) as { code: string }).code : undefined];
}

const profileDir = (name: string) => join(home, 'profiles', name);

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'aviso-cli-device-'));
  secrets = mkdtempSync(join(tmpdir(), 'aviso-cli-secrets-'));
  relay = await RelayProcess.start();
}, 120_000);

afterAll(async () => {
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
  rmSync(secrets, { recursive: true, force: true });
});

describe('a passphrase-protected profile in the CLI', () => {
  test('set, open with --passphrase-file or AVISO_PASSPHRASE_FILE, refuse a wrong or missing one, change', { timeout: 300_000 }, async () => {
    const token = await relay.createToken();
    const reg = await aviso(['--profile', 'rosa', 'register', relay.url, token, '--name', 'Rosa Marker', '--json']);
    expect(reg.code, reg.stderr).toBe(0);
    const accountId = (JSON.parse(reg.stdout.trim()) as { accountId: string }).accountId;
    const dbBefore = readFileSync(join(profileDir('rosa'), 'aviso-client.sqlite'));
    expect(dbBefore.subarray(0, 15).toString('latin1')).toBe('SQLite format 3'); // plain until a passphrase is set

    const first = passFile('first', 'first passphrase\n');
    const set = await aviso(['--profile', 'rosa', 'passphrase', 'set', '--new-passphrase-file', first, '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout.trim())).toEqual({ type: 'passphrase-set', profile: 'rosa' });
    expect(readFileSync(join(profileDir('rosa'), 'aviso-client.sqlite')).subarray(0, 15).toString('latin1')).not.toBe('SQLite format 3');
    expect(readFileSync(join(profileDir('rosa'), 'aviso-client.sqlite')).includes(accountId)).toBe(false);

    // Without a terminal and without a file: a typed error naming both ways in.
    expect(await code(['--profile', 'rosa', 'groups'])).toEqual([1, 'PASSPHRASE_REQUIRED']);
    expect(await code(['--profile', 'rosa', 'groups', '--passphrase-file', passFile('wrong', 'first passphras')])).toEqual([1, 'WRONG_PASSPHRASE']);
    expect(await code(['--profile', 'rosa', 'groups', '--passphrase-file', join(secrets, 'missing')])).toEqual([2, 'USAGE']);
    expect(await code(['--profile', 'rosa', 'groups', '--passphrase-file', passFile('empty', '\n')])).toEqual([2, 'USAGE']);
    const ok = await aviso(['--passphrase-file', first, '--profile', 'rosa', 'groups', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const viaEnv = await aviso(['--profile', 'rosa', 'groups', '--json'], { AVISO_PASSPHRASE_FILE: first });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(await code(['--profile', 'rosa', 'passphrase', 'set', '--new-passphrase-file', first])).toEqual([1, 'ALREADY_PROTECTED']);

    const second = passFile('second', 'second passphrase');
    expect(await code(['--profile', 'rosa', 'passphrase', 'change', '--new-passphrase-file', second, '--passphrase-file', passFile('w2', 'nope')])).toEqual([1, 'WRONG_PASSPHRASE']);
    const changed = await aviso(['--profile', 'rosa', 'passphrase', 'change', '--new-passphrase-file', second, '--json'], { AVISO_PASSPHRASE_FILE: first });
    expect(changed.code, changed.stderr).toBe(0);
    expect(await code(['--profile', 'rosa', 'groups', '--passphrase-file', first])).toEqual([1, 'WRONG_PASSPHRASE']);
    const after = await aviso(['--profile', 'rosa', 'groups', '--passphrase-file', second, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(await code(['--profile', 'plain', 'passphrase', 'change', '--new-passphrase-file', second])).toEqual([1, 'NOT_PASSPHRASE_PROTECTED']);
  });
});

describe('aviso passphrase duress', () => {
  test('set it, then unlocking with it opens an empty profile (the display name gone too) and the real passphrase opens nothing; refusals', { timeout: 300_000 }, async () => {
    const token = await relay.createToken();
    expect((await aviso(['--profile', 'dora', 'register', relay.url, token, '--name', 'Dora Duress Marker'])).code).toBe(0);
    const real = passFile('dora', 'dora real passphrase');
    const duress = passFile('dora-duress', 'dora duress passphrase');
    expect(await code(['--profile', 'dora', 'passphrase', 'duress', 'set', '--duress-passphrase-file', duress])).toEqual([1, 'NOT_PASSPHRASE_PROTECTED']);
    expect((await aviso(['--profile', 'dora', 'passphrase', 'set', '--new-passphrase-file', real])).code).toBe(0);
    expect(await code(['--profile', 'dora', 'passphrase', 'duress', 'set', '--duress-passphrase-file', real, '--passphrase-file', real])).toEqual([1, 'PASSPHRASE_CONFLICT']);
    expect(await code(['--profile', 'dora', 'passphrase', 'duress'])).toEqual([2, 'USAGE']);
    const set = await aviso(['--profile', 'dora', 'passphrase', 'duress', 'set', '--duress-passphrase-file', duress, '--passphrase-file', real, '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout.trim())).toEqual({ type: 'duress-set', profile: 'dora' });

    // The duress passphrase unlocks like any other: an ordinary, empty profile with no account.
    expect(await code(['--profile', 'dora', 'groups', '--passphrase-file', duress])).toEqual([1, 'NOT_REGISTERED']);
    expect(await code(['--profile', 'dora', 'groups', '--passphrase-file', real])).toEqual([1, 'WRONG_PASSPHRASE']);
    const left = Buffer.concat(readdirSync(profileDir('dora')).filter((f) => f !== 'lock').map((f) => readFileSync(join(profileDir('dora'), f))));
    expect(left.includes('Dora Duress Marker')).toBe(false);
    // The duress passphrase is the empty profile's ordinary one now (clearing is tested in the SDK's duress.test.ts).
    const cleared = await aviso(['--profile', 'dora', 'passphrase', 'duress', 'clear', '--passphrase-file', duress, '--json']);
    expect(JSON.parse(cleared.stdout.trim())).toEqual({ type: 'duress-cleared', profile: 'dora' });
  });
});

describe('a key-file profile in the CLI', () => {
  test('opens with --key-file or AVISO_KEY_FILE; without it, or with another key, a typed error', { timeout: 300_000 }, async () => {
    const keyFile = join(secrets, 'bot.key');
    createKeyFile(keyFile);
    const bot = await AvisoClient.open({ dataDir: profileDir('bot'), keyFile });
    await bot.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    await bot.close();
    const viaFlag = await aviso(['--profile', 'bot', 'groups', '--key-file', keyFile, '--json']);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    const viaEnv = await aviso(['--profile', 'bot', 'groups', '--json'], { AVISO_KEY_FILE: keyFile });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(await code(['--profile', 'bot', 'groups'])).toEqual([1, 'PASSPHRASE_REQUIRED']);
    const other = join(secrets, 'other.key');
    createKeyFile(other);
    expect(await code(['--profile', 'bot', 'groups', '--key-file', other])).toEqual([1, 'KEY_FILE_INVALID']);
    expect(await code(['--profile', 'bot', 'groups', '--key-file', join(secrets, 'missing.key')])).toEqual([1, 'KEY_FILE_INVALID']);
  });
});

describe('aviso wipe', () => {
  test('needs --yes without a terminal, then destroys the profile without its passphrase; a fresh profile starts in its place', { timeout: 300_000 }, async () => {
    const token = await relay.createToken();
    expect((await aviso(['--profile', 'wipe1', 'register', relay.url, token, '--name', 'Wipe Marker'])).code).toBe(0);
    const pw = passFile('wipe1', 'wipe pass');
    expect((await aviso(['--profile', 'wipe1', 'passphrase', 'set', '--new-passphrase-file', pw])).code).toBe(0);
    expect(await code(['--profile', 'wipe1', 'wipe'])).toEqual([2, 'USAGE']);
    expect(existsSync(join(profileDir('wipe1'), 'aviso-client.key.json'))).toBe(true);
    const wiped = await aviso(['--profile', 'wipe1', 'wipe', '--yes', '--json']);
    expect(wiped.code, wiped.stderr).toBe(0);
    expect(JSON.parse(wiped.stdout.trim())).toEqual({ type: 'wiped', profile: 'wipe1', existed: true });
    expect(existsSync(profileDir('wipe1'))).toBe(false);
    // The passphrase opens nothing now: the profile is new and unregistered (and unprotected).
    expect(await code(['--profile', 'wipe1', 'groups', '--passphrase-file', pw])).toEqual([1, 'NOT_REGISTERED']);
    const again = await aviso(['--profile', 'never', 'wipe', '--yes', '--json']);
    expect(JSON.parse(again.stdout.trim())).toEqual({ type: 'wiped', profile: 'never', existed: false });
  });

  test('killed with SIGKILL after the key is destroyed: nothing decrypts, commands say STORE_WIPED, a second wipe finishes', { timeout: 300_000 }, async () => {
    const token = await relay.createToken();
    expect((await aviso(['--profile', 'wipe2', 'register', relay.url, token, '--name', 'Crash Marker'])).code).toBe(0);
    const pw = passFile('wipe2', 'crash pass');
    expect((await aviso(['--profile', 'wipe2', 'passphrase', 'set', '--new-passphrase-file', pw])).code).toBe(0);
    const slots = (JSON.parse(readFileSync(join(profileDir('wipe2'), 'aviso-client.key.json'), 'utf8')) as { slots: Array<{ sealed: string }> }).slots;
    const killed = await aviso(['--profile', 'wipe2', 'wipe', '--yes'], { AVISO_TEST_CRASH_AT: 'wipe:key-shredded' });
    expect(killed.code).toBe(-1); // killed by the signal
    const left = Buffer.concat(readdirSync(profileDir('wipe2')).filter((f) => f !== 'lock').map((f) => readFileSync(join(profileDir('wipe2'), f))));
    for (const slot of slots) expect(left.includes(slot.sealed)).toBe(false);
    expect(await code(['--profile', 'wipe2', 'groups', '--passphrase-file', pw])).toEqual([1, 'STORE_WIPED']);
    const finished = await aviso(['--profile', 'wipe2', 'wipe', '--yes']);
    expect(finished.code, finished.stderr).toBe(0);
    expect(existsSync(profileDir('wipe2'))).toBe(false);
  });
});

/** Runs aviso on a real pseudo-terminal (util-linux `script`), typing each answer once its prompt shows up. */
function onTerminal(args: readonly string[], steps: Array<[RegExp, string]>): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, ...CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const pending = [...steps];
    const onData = (c: Buffer) => {
      output += c.toString();
      const next = pending[0];
      if (next && next[0].test(output)) {
        pending.shift();
        child.stdin.write(`${next[1]}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('at a terminal', () => {
  test('the passphrase prompt echoes nothing, a wrong one is WRONG_PASSPHRASE, and wipe asks for the profile name', { timeout: 300_000 }, async () => {
    const pw = passFile('tty', 'tty-secret-passphrase');
    expect((await aviso(['--profile', 'tty', 'passphrase', 'set', '--new-passphrase-file', pw])).code).toBe(0);
    const right = await onTerminal(['--profile', 'tty', 'groups'], [[/passphrase for profile "tty": /, 'tty-secret-passphrase']]);
    expect(right.output).toContain('passphrase for profile "tty": ');
    expect(right.output).not.toContain('tty-secret');
    expect(right.output).toContain('has no account yet'); // unlocked: the profile simply has no account
    const wrong = await onTerminal(['--profile', 'tty', 'groups'], [[/passphrase for profile "tty": /, 'not-it-at-all']]);
    expect(wrong.output).not.toContain('not-it-at-all');
    expect(wrong.output).toContain('that is not the passphrase of profile "tty"');
    const declined = await onTerminal(['--profile', 'tty', 'wipe'], [[/to wipe it: /, 'tt']]);
    expect(declined.output).toContain('nothing was wiped');
    expect(existsSync(profileDir('tty'))).toBe(true);
    const confirmed = await onTerminal(['--profile', 'tty', 'wipe'], [[/to wipe it: /, 'tty']]);
    expect(confirmed.output).toContain('profile "tty" wiped');
    expect(existsSync(profileDir('tty'))).toBe(false);
  });
});
