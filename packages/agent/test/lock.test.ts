import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientClosedError, WrongPassphraseError } from '@aviso/client';
import { afterAll, describe, expect, it } from 'vitest';
import { AppLock } from '../src/app/lock.js';
import { protectProfile } from '../src/protect.js';
import { lockProfile, profileFor } from '../src/profile.js';

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
});
