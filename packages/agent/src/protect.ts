import { AvisoClient } from '@aviso/client';
import { adoptLegacySettings } from './legacy-settings.js';
import { ensureProfileDir, lockProfile, type Profile } from './profile.js';

/**
 * Encrypts a plain profile's store under `passphrase` (the SDK converts it in place, crash-safe),
 * under the profile lock. NOT_PASSPHRASE_PROTECTED never: a protected one refuses with
 * PASSPHRASE_REQUIRED (use changeProfilePassphrase).
 */
export async function protectProfile(profile: Profile, passphrase: string): Promise<void> {
  ensureProfileDir(profile);
  const unlock = lockProfile(profile, 'passphrase set');
  try {
    const client = await AvisoClient.open({ dataDir: profile.dir, passphrase });
    try {
      // The name an older version kept in clear beside the store goes into it, now encrypted.
      adoptLegacySettings(profile, client);
    } finally {
      await client.close();
    }
  } finally {
    unlock();
  }
}

/** Rewraps a protected profile's key: WRONG_PASSPHRASE when `current` is not its passphrase. */
export async function changeProfilePassphrase(profile: Profile, current: string, next: string): Promise<void> {
  const unlock = lockProfile(profile, 'passphrase change');
  try {
    const client = await AvisoClient.open({ dataDir: profile.dir, passphrase: current });
    try {
      await client.changePassphrase(current, next);
    } finally {
      await client.close();
    }
  } finally {
    unlock();
  }
}

/**
 * Sets (or replaces) the duress passphrase of a protected profile (docs/threat-model.md "Duress
 * passphrase"): WRONG_PASSPHRASE when `current` is not its passphrase, PASSPHRASE_CONFLICT when the two are the same.
 */
export async function setProfileDuressPassphrase(profile: Profile, current: string, duress: string): Promise<void> {
  await withProfileClient(profile, current, 'passphrase duress set', (client) => client.setDuressPassphrase(current, duress));
}

/** Removes a protected profile's duress passphrase: WRONG_PASSPHRASE when `current` is not its passphrase. */
export async function clearProfileDuressPassphrase(profile: Profile, current: string): Promise<void> {
  await withProfileClient(profile, current, 'passphrase duress clear', (client) => client.clearDuressPassphrase(current));
}

async function withProfileClient(profile: Profile, passphrase: string, command: string, fn: (client: AvisoClient) => Promise<void>): Promise<void> {
  const unlock = lockProfile(profile, command);
  try {
    const client = await AvisoClient.open({ dataDir: profile.dir, passphrase });
    try {
      await fn(client);
    } finally {
      await client.close();
    }
  } finally {
    unlock();
  }
}
