import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientClosedError, WrongPassphraseError } from '@aviso/client';
import { afterAll, describe, expect, it } from 'vitest';
import { AppLock } from '../src/app/lock.js';
import { protectProfile } from '../src/protect.js';
import { MemberHost } from '../src/host.js';
import { ensureProfileDir, lockProfile, profileFor, readSettings } from '../src/profile.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function protectedProfile(name: string) {
  const home = mkdtempSync(join(tmpdir(), 'aviso-lock-'));
  dirs.push(home);
  const profile = profileFor(name, { AVISO_HOME: home });
  await protectProfile(profile, 'app passphrase');
  return profile;
}

describe('the app lock', () => {
  it('starts locked, refuses a wrong passphrase, unlocks with the right one and holds the profile until locked', async () => {
    const profile = await protectedProfile('ana');
    const lock = new AppLock({ profile });
    expect(lock.protected).toBe(true);
    expect(lock.state).toBe('locked');
    await expect(lock.unlock('wrong')).rejects.toBeInstanceOf(WrongPassphraseError);
    expect(lock.state).toBe('locked');
    const client = await lock.unlock('app passphrase');
    expect(lock.state).toBe('unlocked');
    expect(() => lockProfile(profile, 'other')).toThrow(/in use/); // one client per profile, held by the app
    await lock.lock();
    expect(lock.state).toBe('locked');
    expect(() => client.identityKey).not.toThrow();
    await expect(client.createGroup({ title: 't', displayName: 'n' })).rejects.toBeInstanceOf(ClientClosedError);
    lockProfile(profile, 'other')(); // released
  });

  it('locks itself after the idle time without use, and a touch restarts the countdown', { timeout: 30_000 }, async () => {
    const profile = await protectedProfile('ben');
    const states: string[] = [];
    const lock = new AppLock({ profile, idleMs: 4000, onChange: (s) => states.push(s) });
    await lock.unlock('app passphrase');
    await new Promise((r) => setTimeout(r, 1000));
    lock.touch();
    await new Promise((r) => setTimeout(r, 1000));
    expect(lock.state).toBe('unlocked'); // 2 s since unlock, 1 s since the touch: 3 s to go
    await new Promise((r) => setTimeout(r, 4000));
    expect(lock.state).toBe('locked');
    expect(states).toEqual(['unlocked', 'locked']);
    expect(() => lock.setIdleMinutes(0)).toThrow(RangeError);
    expect(() => lock.setIdleMinutes(24 * 60 + 1)).toThrow(RangeError);
  });

  it('the wipe button locks and destroys the profile', async () => {
    const profile = await protectedProfile('cy');
    const lock = new AppLock({ profile });
    await lock.unlock('app passphrase');
    await lock.wipe();
    expect(lock.state).toBe('locked');
    expect(existsSync(profile.dir)).toBe(false);
  });

  it('keeps the idle time across a restart, in the encrypted store (read at unlock, when the countdown starts)', async () => {
    const profile = await protectedProfile('cora');
    const first = new AppLock({ profile });
    await first.unlock('app passphrase');
    first.setIdleMinutes(7);
    await first.lock();
    const restarted = new AppLock({ profile });
    expect(restarted.idleMinutes).toBe(15); // locked: nothing is read from the store before unlock
    await restarted.unlock('app passphrase');
    expect(restarted.idleMinutes).toBe(7);
    await restarted.lock();
  });
});

describe('profile settings', () => {
  it('a display name an older version left in clear in profile.json moves into the encrypted store and the file goes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'aviso-settings-'));
    dirs.push(home);
    const profile = profileFor('dana', { AVISO_HOME: home });
    ensureProfileDir(profile);
    writeFileSync(join(profile.dir, 'profile.json'), JSON.stringify({ displayName: 'Dana Legacy Name Marker' }));
    await protectProfile(profile, 'app passphrase');
    expect(existsSync(join(profile.dir, 'profile.json'))).toBe(false);
    const bytes = Buffer.concat(readdirSync(profile.dir).map((f) => readFileSync(join(profile.dir, f))));
    expect(bytes.includes('Dana Legacy Name Marker')).toBe(false);
    const host = new MemberHost({ command: 'test', secret: () => Promise.resolve({ passphrase: 'app passphrase' }) });
    const client = await host.client(profile);
    expect(readSettings(client).displayName).toBe('Dana Legacy Name Marker');
    await host.closeAll();
  });
});
