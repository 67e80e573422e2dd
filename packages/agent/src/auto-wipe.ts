import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shred } from '@aviso/client';
import type { Profile } from './profile.js';
import { wipeProfile } from './wipe.js';

/**
 * Wipe a profile that was not unlocked for N days (docs/threat-model.md "Wipe when not unlocked"):
 * a device taken and kept, or lost, destroys itself the next time Aviso runs on it. It must be
 * checked before any passphrase is typed, so the setting and the time of the last unlock are kept
 * in clear in `auto-wipe.json` (0600) beside the store: that file says that the profile has the
 * setting and when it was last opened, nothing else. Checked at every open (MemberHost) and hourly
 * by a running `aviso app` while it is locked. It cannot reach a copy of the disk, which is never
 * opened by Aviso, nor a device whose clock was set back.
 */

export const AUTO_WIPE_FILE = 'auto-wipe.json';
export const AUTO_WIPE_DAYS = { min: 1, max: 365 } as const;
const DAY_MS = 24 * 3600_000;

export interface AutoWipe {
  days: number;
  /** When the profile was last opened (ms since the epoch). */
  lastUnlock: number;
}

export function readAutoWipe(profile: Profile): AutoWipe | undefined {
  const path = join(profile.dir, AUTO_WIPE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<AutoWipe>;
    if (typeof v.days === 'number' && Number.isInteger(v.days) && v.days >= AUTO_WIPE_DAYS.min && v.days <= AUTO_WIPE_DAYS.max && typeof v.lastUnlock === 'number') return { days: v.days, lastUnlock: v.lastUnlock };
  } catch {
    // Unreadable: treated as set, at the shortest time, rather than silently off.
  }
  return { days: AUTO_WIPE_DAYS.min, lastUnlock: 0 };
}

/** Turns the wipe on (`days`, counted from now) or off (undefined: the file is shredded). */
export function setAutoWipe(profile: Profile, days: number | undefined, now = Date.now()): void {
  const path = join(profile.dir, AUTO_WIPE_FILE);
  if (days === undefined) {
    shred(path);
    return;
  }
  if (!Number.isInteger(days) || days < AUTO_WIPE_DAYS.min || days > AUTO_WIPE_DAYS.max) throw new RangeError(`the days before a wipe are a whole number from ${AUTO_WIPE_DAYS.min} to ${AUTO_WIPE_DAYS.max}`);
  // Beside it, then renamed over it: a crash leaves the old file or the new one, never half of one.
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ days, lastUnlock: now })}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** After every successful open: the count starts again. */
export function noteUnlock(profile: Profile, now = Date.now()): void {
  const current = readAutoWipe(profile);
  if (current) setAutoWipe(profile, current.days, now);
}

export function autoWipeDue(profile: Profile, now = Date.now()): boolean {
  const current = readAutoWipe(profile);
  return current !== undefined && now - current.lastUnlock > current.days * DAY_MS;
}

/** Wipes the profile (as `aviso wipe`) if it is due; true if it did. */
export function wipeIfDue(profile: Profile, now = Date.now()): boolean {
  if (!autoWipeDue(profile, now)) return false;
  wipeProfile(profile);
  return true;
}
