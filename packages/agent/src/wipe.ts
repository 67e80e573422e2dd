import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { shred, wipeDataDir } from '@aviso/client';
import { lockProfile, type Profile } from './profile.js';

/**
 * `aviso wipe` and the app's wipe button: the SDK crypto-shreds the store first (its key material,
 * then its files: see the SDK's wipeDataDir), then whatever else is in the profile's folder (a
 * `profile.json` an older version left, which held the display name in clear) is overwritten and
 * the folder removed. Needs no passphrase: a wipe must work for someone who cannot, or will not,
 * unlock. PROFILE_BUSY while another aviso holds the profile. Resolves false when there was nothing
 * to wipe.
 */
export function wipeProfile(profile: Profile): boolean {
  if (!existsSync(profile.dir)) return false;
  const unlock = lockProfile(profile, 'wipe');
  try {
    wipeDataDir(profile.dir);
    removeProfileFiles(profile);
  } finally {
    unlock();
  }
  rmSync(profile.dir, { recursive: true, force: true });
  return true;
}

/** After the SDK's wipe: every regular file left in the folder but the profile lock, overwritten then removed. */
export function removeProfileFiles(profile: Profile): void {
  let names: string[];
  try {
    names = readdirSync(profile.dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === 'lock') continue;
    const path = join(profile.dir, name);
    if (statSync(path).isFile()) shred(path);
    rmSync(path, { recursive: true, force: true });
  }
}
