import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCount, parseDuration } from '../src/args.js';
import { CliError } from '../src/errors.js';
import { parseInvocation, runCli } from '../src/run.js';
import { memoryIo } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('parseInvocation', () => {
  it('takes global options before or after the command', () => {
    const a = parseInvocation(['--profile', 'ana', '--json', 'invite', 'Eastside', '--uses', '3', '--approval']);
    expect(a.command?.name).toBe('invite');
    expect(a.parsed.positionals).toEqual(['Eastside']);
    expect(a.parsed.values).toMatchObject({ profile: 'ana', json: true, uses: '3', approval: true });
    const b = parseInvocation(['invite', 'Eastside', '--profile=ana', '--json']);
    expect(b.parsed.values).toMatchObject({ profile: 'ana', json: true });
  });

  it('reads `group create` as one command', () => {
    const inv = parseInvocation(['group', 'create', 'Eastside responders', '--name', 'Rosa']);
    expect(inv.command?.name).toBe('group create');
    expect(inv.parsed.positionals).toEqual(['Eastside responders']);
    expect(inv.parsed.values['name']).toBe('Rosa');
  });

  it('reports unknown commands and options as usage errors', () => {
    expect(parseInvocation(['frobnicate']).unknown).toBe('frobnicate');
    expect(() => parseInvocation(['invite', 'Eastside', '--usess', '3'])).toThrow(/unknown option --usess for `aviso invite`/);
    expect(() => parseInvocation(['invite', 'Eastside', '--uses'])).toThrow(/option --uses needs a value/);
    try {
      parseInvocation(['groups', '--bogus']);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});

describe('option values', () => {
  it('parses durations like the relay CLI', () => {
    expect(parseDuration('30m', '--expires')).toBe(1800);
    expect(parseDuration('7d', '--expires')).toBe(604_800);
    for (const bad of ['0m', '5', '1w', '-1h', 'soon']) expect(() => parseDuration(bad, '--expires')).toThrow(/--expires takes a duration/);
  });

  it('parses counts within bounds', () => {
    expect(parseCount('3', '--uses', 1000)).toBe(3);
    for (const bad of ['0', '1001', '2.5', 'x', '-1']) expect(() => parseCount(bad, '--uses', 1000)).toThrow(/--uses takes a whole number from 1 to 1000/);
  });
});

describe('runCli without a relay', () => {
  it('--help lists every command and exits 0; no command prints it and exits 2', async () => {
    const io = memoryIo();
    expect(await runCli(['--help'], io)).toBe(0);
    const text = io.stdout.join('\n');
    for (const c of ['register', 'join', 'groups', 'group create', 'invite', 'requests', 'approve', 'deny', 'members', 'remove', 'alert', 'ack', 'confirm', 'dispute', 'retract', 'all-clear', 'say', 'verify', 'listen']) {
      expect(text).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    expect(await runCli([], memoryIo())).toBe(2);
  });

  it('--help works on every command', async () => {
    const io = memoryIo();
    expect(await runCli(['alert', '--help'], io)).toBe(0);
    expect(io.stdout[0]).toBe('Usage: aviso alert <group> --kind KIND --severity LEVEL --title TEXT --place TEXT [--body TEXT] [--expires DURATION] [--ack]');
    expect(io.stdout.join('\n')).toContain('raid | checkpoint | sighting | patrol | other');
  });

  it('usage errors: one line on stderr, status 2, and a JSON error with --json', async () => {
    const io = memoryIo();
    expect(await runCli(['ack', 'abcd', 'maybe', '--json'], io)).toBe(2);
    expect(io.stderr).toEqual(['aviso: the status must be one of seen, on-my-way, on-scene, cannot (got "maybe")']);
    expect(io.stdout.map((l) => JSON.parse(l) as unknown)).toEqual([{ type: 'error', code: 'USAGE', message: 'the status must be one of seen, on-my-way, on-scene, cannot (got "maybe")' }]);

    const missing = memoryIo();
    expect(await runCli(['invite'], missing)).toBe(2);
    expect(missing.stderr).toEqual(['aviso: `aviso invite` is missing arguments: aviso invite <group> [--uses N] [--expires DURATION] [--approval]']);

    const alert = memoryIo();
    expect(await runCli(['alert', 'Eastside', '--kind', 'raid', '--severity', 'critical', '--title', 'x'], alert)).toBe(2);
    expect(alert.stderr).toEqual(['aviso: alert needs --place — see `aviso alert --help`']);

    const unknown = memoryIo();
    expect(await runCli(['frobnicate'], unknown)).toBe(2);
    expect(unknown.stderr).toEqual(['aviso: unknown command "frobnicate" — run `aviso --help` to list them']);

    const profile = memoryIo();
    expect(await runCli(['groups', '--profile', '../etc'], profile)).toBe(2);
    expect(profile.stderr[0]).toMatch(/^aviso: "\.\.\/etc" is not a usable profile name/);
  });

  it('an unregistered profile says how to register, with status 1', async () => {
    const home = mkdtempSync(join(tmpdir(), 'aviso-cli-'));
    dirs.push(home);
    const io = memoryIo({ AVISO_HOME: home });
    expect(await runCli(['groups', '--profile', 'fresh', '--json'], io)).toBe(1);
    expect(io.stderr).toEqual(['aviso: profile "fresh" has no account yet — run `aviso register <relay-url> <token>` or `aviso join <invite-code>`']);
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ type: 'error', code: 'NOT_REGISTERED' });
  });

  it('join checks the invite code before asking for a name, and needs --name without a terminal', async () => {
    const home = mkdtempSync(join(tmpdir(), 'aviso-cli-'));
    dirs.push(home);
    const bad = memoryIo({ AVISO_HOME: home });
    expect(await runCli(['join', 'http://127.0.0.1:9/join#bm90LWFuLWludml0ZQ'], bad)).toBe(1);
    expect(bad.stderr).toEqual(['aviso: that invite code does not work: invite code payload is not JSON — check it was copied whole, or ask for a new one']);
    const payload = Buffer.from(JSON.stringify({ v: 1, relayUrl: 'http://127.0.0.1:9', trustRootSha256: 'A'.repeat(43), masterKey: 'A'.repeat(43), inviteId: 'A'.repeat(22), inviteSecret: 'A'.repeat(43) })).toString('base64url');
    const noName = memoryIo({ AVISO_HOME: home });
    expect(await runCli(['join', `aviso1:${payload}`], noName)).toBe(2);
    expect(noName.stderr).toEqual(['aviso: join needs your display name — add --name "Your Name" (there is no terminal to ask on)']);

    // On a terminal it asks; an empty answer is a usage error, a name goes on to the relay (down here).
    const empty = memoryIo({ AVISO_HOME: home }, { tty: true, answer: '  ' });
    expect(await runCli(['join', `aviso1:${payload}`], empty)).toBe(2);
    expect(empty.stderr).toEqual(['aviso: a display name is needed to join — run again and type one, or add --name "Your Name"']);
    const named = memoryIo({ AVISO_HOME: home }, { tty: true, answer: 'Ana' });
    expect(await runCli(['join', `aviso1:${payload}`], named)).toBe(1);
    expect(named.stderr).toEqual(['aviso: cannot reach the relay at http://127.0.0.1:9 — is it running and is the address right? try again later']);
  });
});
