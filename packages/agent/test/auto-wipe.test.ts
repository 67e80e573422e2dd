import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTO_WIPE_FILE, autoWipeDue, readAutoWipe, setAutoWipe } from '../src/auto-wipe.js';
import { LockGate } from '../src/app/lock-gate.js';
import { AppLock } from '../src/app/lock.js';
import { MemberHost } from '../src/host.js';
import { protectProfile } from '../src/protect.js';
import { ensureProfileDir, profileFor } from '../src/profile.js';

// Wipe when not unlocked for N days (docs/threat-model.md): checked before every open, and by a locked app's timer.

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const DAY = 24 * 3600_000;

function newProfile(name: string) {
  const home = mkdtempSync(join(tmpdir(), 'aviso-auto-wipe-'));
  dirs.push(home);
  const profile = profileFor(name, { AVISO_HOME: home });
  ensureProfileDir(profile);
  return profile;
}

async function identityOf(profile: ReturnType<typeof newProfile>): Promise<string> {
  const host = new MemberHost({ command: 'test' });
  const client = await host.client(profile);
  const id = Buffer.from(client.identityKey).toString('hex');
  await host.closeAll();
  return id;
}

describe('wipe when not unlocked for N days', () => {
  it('an open past the days wipes the profile first; an open within them keeps it and starts the count again', async () => {
    const profile = newProfile('eva');
    const first = await identityOf(profile);
    setAutoWipe(profile, 3, Date.now() - 2 * DAY);
    expect(await identityOf(profile)).toBe(first); // 2 of 3 days: kept
    expect(readAutoWipe(profile)!.lastUnlock).toBeGreaterThan(Date.now() - 60_000); // and the count starts again
    setAutoWipe(profile, 3, Date.now() - 4 * DAY);
    expect(autoWipeDue(profile)).toBe(true);
    expect(await identityOf(profile)).not.toBe(first); // wiped, then a new, empty profile
    expect(existsSync(join(profile.dir, AUTO_WIPE_FILE))).toBe(false);
  });

  it('off shreds the file; bad days are a RangeError; an unreadable file counts as the shortest time', () => {
    const profile = newProfile('fer');
    setAutoWipe(profile, 30);
    expect(JSON.parse(readFileSync(join(profile.dir, AUTO_WIPE_FILE), 'utf8'))).toMatchObject({ days: 30 });
    setAutoWipe(profile, undefined);
    expect(existsSync(join(profile.dir, AUTO_WIPE_FILE))).toBe(false);
    expect(() => setAutoWipe(profile, 0)).toThrow(RangeError);
    expect(() => setAutoWipe(profile, 366)).toThrow(RangeError);
  });

  it('a locked app left running past the days wipes the profile', async () => {
    const profile = newProfile('gil');
    await protectProfile(profile, 'app passphrase');
    const lock = new AppLock({ profile });
    let closed = 0;
    const gate = new LockGate(lock, profile, { opened: () => Promise.resolve(), closed: () => Promise.resolve(void closed++) });
    setAutoWipe(profile, 1);
    expect(await gate.wipeIfDue()).toBe(false);
    expect(await gate.wipeIfDue(Date.now() + 2 * DAY)).toBe(true);
    expect(gate.wiped).toBe(true);
    expect(closed).toBe(1);
    expect(existsSync(profile.dir)).toBe(false);
    await gate.close();
  });
});
