import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shred } from '@aviso/client';
import { readSettings, writeSettings, type Profile, type SettingsStore } from './profile.js';

/**
 * Moves what an older version left in clear in `profile.json` (the display name) into the store,
 * then overwrites and removes the file. Called at every open; a no-op once the file is gone.
 */
export function adoptLegacySettings(profile: Profile, client: SettingsStore): void {
  const path = join(profile.dir, 'profile.json');
  if (!existsSync(path)) return;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { displayName?: unknown };
    if (typeof v.displayName === 'string' && readSettings(client).displayName === undefined) writeSettings(client, { ...readSettings(client), displayName: v.displayName });
  } catch {
    // An unreadable file holds nothing worth keeping; it still goes.
  }
  shred(path);
}
