import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupVerificationError, InviteCodeError, NotRegisteredError, RelayRequestError } from '@aviso/client';
import { CliError, toCliError } from '../src/errors.js';
import { prepareMessages } from '../src/lang.js';
import { avisoHome, ensureProfileDir, lockProfile, profileFor } from '../src/profile.js';

const dirs: string[] = [];
beforeAll(prepareMessages); // error messages say plurals and selects (ICU), as runCli loads it
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('profiles', () => {
  it('live in the platform data folder unless AVISO_HOME says otherwise', () => {
    expect(avisoHome({ AVISO_HOME: '/x/y' }, 'linux', '/home/u')).toBe('/x/y');
    expect(avisoHome({}, 'linux', '/home/u')).toBe('/home/u/.local/share/aviso');
    expect(avisoHome({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u')).toBe('/data/aviso');
    expect(avisoHome({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/aviso');
    expect(avisoHome({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u')).toMatch(/Roaming[\\/]aviso$/);
  });

  it('are owner-only folders, and one process holds a profile at a time', () => {
    const home = mkdtempSync(join(tmpdir(), 'aviso-cli-'));
    dirs.push(home);
    const profile = profileFor('ana', { AVISO_HOME: home });
    ensureProfileDir(profile);
    expect(statSync(profile.dir).mode & 0o777).toBe(0o700);
    expect(statSync(home).mode & 0o777).toBe(0o700);

    const unlock = lockProfile(profile, 'listen');
    expect(() => lockProfile(profile, 'ack')).toThrow(/profile "ana" is in use by `aviso listen` \(pid \d+\)/);
    unlock();
    lockProfile(profile, 'ack')();

    // A lock left by a process that is gone does not block the next command.
    writeFileSync(join(profile.dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'listen' }));
    lockProfile(profile, 'ack')();
  });
});

describe('SDK errors become one line with what to do', () => {
  const ctx = { profile: 'ana', relayUrl: 'http://127.0.0.1:8080' };
  const relay = (code: string, details?: Record<string, unknown>) => toCliError(new RelayRequestError({ code: code as never, status: 400, retryable: false, message: 'm', details }), ctx);

  it('maps what a user can cause', () => {
    expect(relay('NETWORK_ERROR')).toMatchObject({ code: 'RELAY_DOWN', message: 'cannot reach the relay at http://127.0.0.1:8080 — is it running and is the address right? try again later' });
    expect(relay('INVITE_INVALID').code).toBe('INVITE_EXPIRED');
    expect(relay('INVALID_TOKEN').message).toMatch(/ask the relay operator for a new one$/);
    expect(relay('RATE_LIMITED', { retryAfterSeconds: 42 }).message).toMatch(/try again in 42 s$/);
    expect(toCliError(new NotRegisteredError(), ctx).message).toBe('profile "ana" has no account yet — run `aviso register <relay-url> <token>` or `aviso join <invite-code>`');
    expect(toCliError(new InviteCodeError('the invite code is for another relay'), ctx).code).toBe('INVALID_INVITE');
    expect(toCliError(new GroupVerificationError('g', 1, 'not-a-member', 'x'), ctx).code).toBe('NOT_A_MEMBER');
    expect(toCliError(new RangeError('maxUses must be 1–1000'), ctx)).toMatchObject({ code: 'USAGE', exitCode: 2 });
  });

  it('keeps CliErrors and calls anything else unexpected', () => {
    const mine = new CliError('X', 'y');
    expect(toCliError(mine, ctx)).toBe(mine);
    const other = toCliError(new Error('boom'), ctx);
    expect(other).toMatchObject({ code: 'INTERNAL', exitCode: 1 });
    expect(other.message).toBe('unexpected error: boom — set AVISO_DEBUG=1 for details and report it');
  });
});
