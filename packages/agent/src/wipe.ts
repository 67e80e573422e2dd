import { closeSync, fstatSync, fsyncSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { wipeDataDir } from '@aviso/client';
import { lockProfile, type Profile } from './profile.js';

/**
 * `aviso wipe` and the app's wipe button: the SDK crypto-shreds the store first (its key material,
 * then its files: see the SDK's wipeDataDir), then the profile's own files (profile.json holds the
 * display name in clear) are overwritten and the folder removed. Needs no passphrase: a wipe must
 * work for someone who cannot, or will not, unlock. PROFILE_BUSY while another aviso holds the
 * profile. Resolves false when there was nothing to wipe.
 */
export function wipeProfile(profile: Profile): boolean {
  if (!exists(profile.dir)) return false;
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
    if (statSync(path).isFile()) overwrite(path);
    rmSync(path, { recursive: true, force: true });
  }
}

function overwrite(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const zeros = Buffer.alloc(Math.max(1, Math.min(size, 1 << 20)));
    for (let at = 0; at < size; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
