import { AvisoClient, storeProtection, type Logger } from '@aviso/client';
import { noteUnlock, wipeIfDue } from './auto-wipe.js';
import { adoptLegacySettings } from './legacy-settings.js';
import { ensureProfileDir, lockProfile, type Profile } from './profile.js';

export interface HostOptions {
  /** What holds the profile (`listen`, `group create`), named by the lock to whoever finds it busy. */
  command: string;
  logger?: Logger | undefined;
  /** Keep syncing groups while connected (a long-lived host, not a one-shot command). */
  live?: boolean;
  /**
   * The secret for a profile whose store is encrypted (asked only then): the CLI reads a passphrase
   * file or prompts, the app's unlock screen sends one. Without it such a profile fails to open with
   * PASSPHRASE_REQUIRED.
   */
  secret?: (profile: Profile, protection: 'passphrase' | 'key-file') => Promise<ProfileSecret>;
}

/** How an encrypted profile is opened (never an argv value: it would show in `ps`). */
export type ProfileSecret = { passphrase: string } | { keyFile: string };

interface Held {
  client: AvisoClient;
  unlock: () => void;
}

/**
 * Keeps one open AvisoClient per profile for this process: the first caller opens it (taking the
 * profile lock, which the SDK's own data-folder lock backs up), every later caller gets the same
 * client, and close() closes each once and releases its lock. Two clients on one store would fork
 * its ratchet state, so nothing in a host process opens a profile any other way.
 */
export class MemberHost {
  readonly #held = new Map<string, Promise<Held>>();
  readonly #options: HostOptions;

  constructor(options: HostOptions) {
    this.#options = options;
  }

  /** The profile's client, opened on first use; PROFILE_BUSY when another process holds it. */
  async client(profile: Profile): Promise<AvisoClient> {
    let held = this.#held.get(profile.dir);
    if (!held) {
      held = this.#open(profile);
      this.#held.set(profile.dir, held);
      const opening = held;
      opening.catch(() => {
        if (this.#held.get(profile.dir) === opening) this.#held.delete(profile.dir);
      }); // a failed open is not cached: the next caller tries again
    }
    return (await held).client;
  }

  /** Whether this host holds the profile open now. */
  holds(profile: Profile): boolean {
    return this.#held.has(profile.dir);
  }

  /** Closes the profile's client (the store, the socket) and releases its lock; a no-op when not open. */
  close(profile: Profile): Promise<void> {
    return this.#close(profile.dir);
  }

  /** Closes every profile this host opened. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#held.keys()].map((dir) => this.#close(dir)));
  }

  async #close(dir: string): Promise<void> {
    const held = this.#held.get(dir);
    if (!held) return;
    this.#held.delete(dir);
    const opened = await held.catch(() => undefined);
    if (!opened) return;
    try {
      await opened.client.close().catch(() => undefined);
    } finally {
      opened.unlock();
    }
  }

  async #open(profile: Profile): Promise<Held> {
    // Before anything is asked: a profile not unlocked for its set number of days is wiped (auto-wipe.ts).
    wipeIfDue(profile);
    ensureProfileDir(profile);
    const unlock = lockProfile(profile, this.#options.command);
    try {
      const protection = storeProtection(profile.dir);
      const secret = protection !== 'none' && this.#options.secret ? await this.#options.secret(profile, protection) : {};
      const client = await AvisoClient.open({
        dataDir: profile.dir,
        ...secret,
        ...(this.#options.logger ? { logger: this.#options.logger } : {}),
        requestTimeoutMs: 20_000,
        connection: { backoff: { initialMs: 500, maxMs: 5000 } },
        groupSyncIntervalMs: this.#options.live ? 30_000 : 0,
      });
      adoptLegacySettings(profile, client);
      noteUnlock(profile);
      return { client, unlock };
    } catch (err) {
      unlock();
      throw err;
    }
  }
}
