import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AgentError, usageError } from './errors.js';

export const DEFAULT_PROFILE = 'default';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where profiles live: AVISO_HOME, else the platform's per-user data folder + `aviso`. */
export function avisoHome(env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env['AVISO_HOME']) return env['AVISO_HOME'];
  if (platform === 'win32') return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'aviso');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'aviso');
  return join(env['XDG_DATA_HOME'] || join(home, '.local', 'share'), 'aviso');
}

export interface Profile {
  name: string;
  /** The profile's folder (mode 0700): the SDK's store (and its key file), the lock, auto-wipe.json when set. */
  dir: string;
}

export function profileFor(name: string, env: Record<string, string | undefined>): Profile {
  if (!NAME.test(name)) throw usageError(`"${name}" is not a usable profile name — use letters, digits, ".", "_" or "-" (at most 64)`);
  return { name, dir: join(avisoHome(env), 'profiles', name) };
}

/** Creates the folders owner-only: the store inside holds this identity's private keys. */
export function ensureProfileDir(profile: Profile): void {
  const root = join(profile.dir, '..', '..');
  for (const dir of [root, join(root, 'profiles'), profile.dir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
  }
}

/**
 * One process per profile: the SDK keeps ratchet state in memory, so two processes on one store would
 * fork it (and the relay lets only one connection per device live). The lock names its holder.
 */
export function lockProfile(profile: Profile, command: string): () => void {
  const path = join(profile.dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, command }));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      if (holder && alive(holder.pid)) {
        throw new AgentError('PROFILE_BUSY', `profile "${profile.name}" is in use by \`aviso ${holder.command}\` (pid ${holder.pid}) — stop it first (Ctrl-C), or use another --profile`, undefined, undefined, {
          key: 'cli.error.profileBusy',
          params: { profile: profile.name, command: holder.command, pid: holder.pid },
        });
      }
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new AgentError('PROFILE_BUSY', `profile "${profile.name}" is locked (${path}) — remove that file if no aviso is running`, undefined, undefined, { key: 'cli.error.profileLocked', params: { profile: profile.name, path } });
}

/** Who holds the profile's lock: a live process and the command it runs; undefined when nobody does. */
export function profileHolder(profile: Profile): { pid: number; command: string } | undefined {
  const holder = readHolder(join(profile.dir, 'lock'));
  return holder && alive(holder.pid) ? holder : undefined;
}

function readHolder(path: string): { pid: number; command: string } | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; command?: unknown };
    return typeof v.pid === 'number' ? { pid: v.pid, command: typeof v.command === 'string' ? v.command : '?' } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The profile's own settings: the display name it gave when registering or joining, and the app's
 * idle-lock time. They are kept in the SDK's store (`appSetting`), so a protected profile's are
 * encrypted with it and a wipe or a duress unlock takes them too. Older versions kept the name in
 * clear in `profile.json`: legacy-settings.ts moves it in at the next open.
 */
export interface ProfileSettings {
  displayName?: string;
  /** Minutes without use before the app locks a protected profile. */
  idleLockMinutes?: number;
}

const SETTINGS_KEY = 'aviso.profile';

/** What settings need of a client (the SDK's AvisoClient). */
export interface SettingsStore {
  appSetting(key: string): string | undefined;
  setAppSetting(key: string, value: string): void;
}

export function readSettings(client: SettingsStore): ProfileSettings {
  return parseSettings(client.appSetting(SETTINGS_KEY));
}

export function writeSettings(client: SettingsStore, settings: ProfileSettings): void {
  client.setAppSetting(SETTINGS_KEY, JSON.stringify(parseSettings(JSON.stringify(settings))));
}

function parseSettings(text: string | undefined): ProfileSettings {
  if (text === undefined) return {};
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof v['displayName'] === 'string' ? { displayName: v['displayName'] } : {}),
      ...(typeof v['idleLockMinutes'] === 'number' && Number.isFinite(v['idleLockMinutes']) ? { idleLockMinutes: v['idleLockMinutes'] } : {}),
    };
  } catch {
    return {};
  }
}
